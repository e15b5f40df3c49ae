export { ContactBook, ContactError, duplicateFaceDistance, normalizeAlbumUrl, type Contact, type ContactErrorCode, type NewContact } from './book.ts';
export { ContactXmlError, contactsToXml, MAX_XML_BYTES, parseContactsXml, readContactsXmlFile, type XmlContact } from './xml.ts';
export { CONSENT_TEXT_VERSION, LEARNING_CONSENT_VERSION, Membership, RETENTION_WARNING_MS, type ForgetReason } from './consent.ts';
