// The words both bots show about consent and privacy. CONSENT_TEXT_VERSION (core/contacts/consent.ts)
// names this text in every consent record: change them together.
import { CONSENT_TEXT_VERSION } from '../../core/contacts/consent.ts';

export { CONSENT_TEXT_VERSION };

/** What the member agrees to, before any face data is made. */
export const consentText = (group: string, subject?: string) =>
  [
    subject ? `Before I learn ${subject}'s face for ${group}:` : `Before I learn your face for ${group}:`,
    `• From the selfie you send, I keep a face descriptor (a list of numbers, not the picture) to find ${subject ? 'them' : 'you'} in photos posted in ${group}. The selfie itself is not kept.`,
    `• When I recognise ${subject ? 'them' : 'you'} with high confidence in a photo of ${group}, or ${subject ? 'you confirm it is them' : 'you confirm it is you'}, I keep that face's descriptor too (up to 10, with which photo it came from), so I find ${subject ? 'them' : 'you'} in more photos; "Not me" removes it.`,
    `• Photos from ${group} that show ${subject ? 'them' : 'you'} go to ${subject ? 'your' : 'your'} private album; nobody else gets the link.`,
    ...(subject ? [`• Young children's faces look too alike for me to tell apart safely, so I send ${subject}'s photos only after you confirm each one ("Is this ${subject}?").`] : []),
    '• The descriptor is deleted when you send /forget, when you leave the group, or after a year without use (you are warned a week before).',
    '• I keep a record of this consent (who, which group, when, this text\'s version) and of its withdrawal.',
    `(${CONSENT_TEXT_VERSION}) /privacy tells more.`,
  ].join('\n');

export const AGREE = 'I agree';

/** The /privacy answer: what is stored where, for how long, how to delete it. */
export const privacyText = (retentionDays: number) =>
  [
    'What facedrop stores, where, for how long, and how to delete it:',
    '• Face descriptor of your selfie: in this bot\'s database, per group; until /forget, leaving the group, or ' + `${retentionDays} days without a command or a delivered photo. /forget deletes it at once.`,
    '• Your selfie image: not kept (only if you chose so on your own album server).',
    '• Faces of yours I recognised with high confidence in this group\'s photos, or that you confirmed: kept as more references (up to 10 descriptors, with the photo each came from), like the selfie\'s; "Not me" on that photo removes it, /forget all of them. (Members who agreed before this was said keep their selfie only.)',
    '• The group\'s photos of the last 30 minutes (one event): kept so that when I learn your face from one, the others are looked at again; deleted after the 30 minutes.',
    '• Consent record (who, group, when, text version, when withdrawn): in the bot\'s database, kept as proof after withdrawal; no face data in it.',
    '• Your album (photos sent to you, and the faces it checks them against): on the album server; until you delete it (/forget album).',
    '• Photos posted in the group: passed to the albums of the people in them; a photo waiting for delivery is kept until it is delivered.',
    '• Children: I estimate the age of every face I see (the estimate is kept with a selfie\'s descriptor, never alone). Children\'s faces look too alike for me, so a photo of a child (or of anyone registered as a child) goes to an album only after a guardian (or the member) answers "Is this …?"; the question\'s face crop is kept until it is answered.',
  ].join('\n');

export const leftText = (group: string) => `You left ${group}, so I deleted your face data there: its photos no longer reach you. Your album stays yours.`;
export const retentionWarning = (group: string, days: number) =>
  `You have not used facedrop in ${group} for a long time. In ${days} days I will delete your face data there. Send any command (for example /privacy) in our chat to keep it.`;
export const retentionForgotten = (group: string) => `I deleted your face data for ${group} after a long time without use. Your album stays yours; /register there to join again.`;
