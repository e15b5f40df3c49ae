export { addAlbumFaces, AlbumApiError, AlbumHttpError, createAccount, deleteAlbum, deleteAlbumFaces, getAlbum, isRetryable, signPacket, uploadPicture, type AccountCreated, type UploadPacket, type UploadResult } from './album-client.ts';
export { AlbumAddressError, type AlbumAddressPolicy } from './album-address.ts';
export { Outbox, defaultBackoff, type DeliveryOutcome, type OutboxOptions, type Packet } from './outbox.ts';
export { Sharer, type Delivery, type ShareReport, type SharerOptions } from './pipeline.ts';
