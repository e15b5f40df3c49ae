export { ContactBook, ContactError, duplicateFaceDistance, normalizeAlbumUrl, type Contact, type ContactErrorCode, type NewContact } from './book.ts';
export { ContactXmlError, contactsToXml, parseContactsXml, type XmlContact } from './xml.ts';
