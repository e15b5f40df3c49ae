export { ContactBook, ContactError, duplicateFaceDistance, normalizeAlbumUrl, type Contact, type ContactErrorCode, type NewContact } from './book.ts';
export { ContactXmlError, contactsToXml, MAX_XML_BYTES, parseContactsXml, readContactsXmlFile, type XmlContact } from './xml.ts';
