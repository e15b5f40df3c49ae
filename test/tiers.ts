// Which tier each test file runs in. test/tiers.test.ts fails when a file is in no tier or in two.
// unit: no face engine, no child process, no database file (test/unit-setup.ts enforces it): seconds.
// medium: the real face engine, SQLite and PostgreSQL, in process.
// e2e: child processes, the fake Telegram and Discord servers, Chromium.
// The *Fixtures lists are the files holding accuracy tests on the labelled photos in ../shared/faces; every
// other file runs with FACEDROP_FIXTURES=off, as a clone without ../shared would run it.
const t = (names: string[]) => names.map((n) => `test/${n}.test.ts`);

export const TIERS = {
  unit: t([
    'album/alone', 'album/exif', 'album/location', 'album/units', 'bots/bounded-download', 'bots/discord-groups', 'bots/i18n', 'bots/server-mode-wording', 'config-docs', 'core/member-sentences',
    'contacts/duplicates', 'faces/worker-bundle', 'hardening/embedded-ipv4', 'hardening/redirects',
    'match/age', 'match/assign', 'match/calibration', 'match/negatives', 'records/database-url', 'records/learned-faces',
    'records/notices', 'share/album-address', 'tiers', 'config',
  ]),
  medium: t([
    'album/api', 'album/bad-input', 'album/face-hints', 'album/limits', 'album/location-api', 'album/pagination', 'album/taken-date', 'album/undo-not-me',
    'contacts/book', 'core/members', 'faces/age', 'faces/batch-descriptors', 'faces/landmark68', 'faces/mosaic',
    'hardening/cache-headers', 'hardening/failed-writes', 'hardening/part-headers', 'hardening/replays',
    'hardening/signed-accounts', 'hardening/slow-clients', 'jobs/pg-queue', 'jobs/queue', 'records/migration',
    'share/not-me-undo', 'share/reshare', 'share/terminal',
  ]),
  mediumFixtures: t(['album/location-camera', 'faces/engine', 'match/fixtures', 'share/crowd', 'share/learned']),
  e2e: t([
    'album/browser', 'album/crash', 'album/not-me-browser', 'bots/cross-bot', 'bots/discord-membership', 'bots/discord-restart', 'bots/discord',
    'bots/languages',
    'bots/notices-discord', 'bots/notices-telegram', 'bots/telegram-private',
    'bots/telegram-webhook', 'bots/telegram', 'cli/clean-exit', 'cli/cli', 'cli/confirm', 'cli/honest-reports',
    'cli/phone-photos', 'cli/startup-errors', 'cli/trusted-terminal', 'cli/walkthrough', 'hardening/bombs',
    'hardening/deletion-paths', 'hardening/deletion-retry', 'hardening/forget-rotated', 'hardening/give-up',
    'hardening/legacy-links', 'hardening/sealed-links', 'records/outbox-processes', 'records/serve-and-share',
  ]),
  e2eFixtures: t(['bots/questions-telegram', 'share/children', 'share/learning', 'share/london']),
};
