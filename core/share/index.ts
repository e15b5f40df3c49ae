export { addAlbumFaces, AlbumApiError, AlbumHttpError, createAccount, deleteAccountByKey, deleteAccountFacesByKey, deleteAlbum, deleteAlbumFaces, getAlbum, isRetryable, reportNotMe, requestDeletionKey, signAccount, signPacket, signPacketV2, uploadPicture, type AccountCreated, type UploadPacket, type UploadResult } from './album-client.ts';
export { AlbumAddressError, type AlbumAddressPolicy } from './album-address.ts';
export { Outbox, defaultBackoff, type DeliveryOutcome, type OutboxOptions, type Packet } from './outbox.ts';
export { Sharer, type Delivery, type ShareReport, type SharerOptions, type UnsureDelivery } from './pipeline.ts';
export { DEFAULT_NOTICE_TIMING, GAVE_UP_NOTICE, isChatMember, MemberNotices, REJECTED_BY_OWNER, type AnswerResult, type NotMeResult } from './notices.ts';
export { contactSheet, faceCrop, photoThumbnail } from './thumbs.ts';
