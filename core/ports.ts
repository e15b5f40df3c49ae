// What the chat adapters (bots/) may know of the records, without importing core/records: the job and
// once-only stores their durable inboxes run on, and the notice modes members choose.
import type { Records } from './records/index.ts';

export type JobStores = Pick<Records, 'jobs' | 'kv'>;
export { NOTICE_MODES, noticeQueue, type NoticeItem, type NoticeMode } from './records/index.ts';
