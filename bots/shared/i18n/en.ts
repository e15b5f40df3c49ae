// English: the reference catalogue. Every sentence the membership flow says to a member, by key; the other
// languages must have every key (the type says so, test/bots/i18n.test.ts checks it at run time).
import { CONSENT_TEXT_VERSION } from '../../../core/contacts/consent.ts';

const them = (subject: string | undefined, own: string, other: string) => (subject ? other : own);

export const en = {
  // Consent and privacy (both bots).
  consent: (group: string, subject?: string) =>
    [
      subject ? `Before I learn ${subject}'s face for ${group}:` : `Before I learn your face for ${group}:`,
      `• From the selfie you send, I keep a face descriptor (a list of numbers, not the picture) to find ${them(subject, 'you', 'them')} in photos posted in ${group}. The selfie itself is not kept.`,
      `• When I recognise ${them(subject, 'you', 'them')} with high confidence in a photo of ${group}, or ${subject ? 'you confirm it is them' : 'you confirm it is you'}, I keep that face's descriptor too (up to 10, with which photo it came from), so I find ${them(subject, 'you', 'them')} in more photos; "Not me" removes it.`,
      `• Photos from ${group} that show ${them(subject, 'you', 'them')} go to your private album; nobody else gets the link.`,
      ...(subject ? [`• Young children's faces look too alike for me to tell apart safely, so I send ${subject}'s photos only after you confirm each one ("Is this ${subject}?").`] : []),
      '• The descriptor is deleted when you send /forget, when you leave the group, or after a year without use (you are warned a week before).',
      "• I keep a record of this consent (who, which group, when, this text's version) and of its withdrawal.",
      `(${CONSENT_TEXT_VERSION}) /privacy tells more.`,
    ].join('\n'),
  agree: () => 'I agree',
  privacy: (retentionDays: number) =>
    [
      'What facedrop stores, where, for how long, and how to delete it:',
      `• Face descriptor of your selfie: in this bot's database, per group; until /forget, leaving the group, or ${retentionDays} days without a command or a delivered photo. /forget deletes it at once.`,
      '• Your selfie image: not kept (only if you chose so on your own album server).',
      "• Faces of yours I recognised with high confidence in this group's photos, or that you confirmed: kept as more references (up to 10 descriptors, with the photo each came from), like the selfie's; \"Not me\" on that photo removes it, /forget all of them. (Members who agreed before this was said keep their selfie only.)",
      "• The group's photos of the last 30 minutes (one event): kept so that when I learn your face from one, the others are looked at again; deleted after the 30 minutes.",
      "• Consent record (who, group, when, text version, when withdrawn): in the bot's database, kept as proof after withdrawal; no face data in it.",
      '• Your album (photos sent to you, and the faces it checks them against): on the album server; until you delete it (/forget album).',
      '• Photos posted in the group: passed to the albums of the people in them; a photo waiting for delivery is kept until it is delivered.',
      "• Children: I estimate the age of every face I see (the estimate is kept with a selfie's descriptor, never alone). Children's faces look too alike for me, so a photo of a child (or of anyone registered as a child) goes to an album only after a guardian (or the member) answers \"Is this …?\"; the question's face crop is kept until it is answered.",
    ].join('\n'),
  consentRecords: () => 'Your consent records:',
  consentLine: (group: string, given: string, version: string, withdrawn?: string) => `• ${group}: agreed ${given} (${version})${withdrawn ? `, withdrawn ${withdrawn}` : ''}`,
  left: (group: string) => `You left ${group}, so I deleted your face data there: its photos no longer reach you. Your album stays yours.`,
  retentionWarning: (group: string, days: number) =>
    `You have not used facedrop in ${group} for a long time. In ${days} days I will delete your face data there. Send any command (for example /privacy) in our chat to keep it.`,
  retentionForgotten: (group: string) => `I deleted your face data for ${group} after a long time without use. Your album stays yours; /register there to join again.`,
  newSelfieNeeded: (names: string) =>
    `${names}: facedrop now recognises faces with a new model, and your selfie no longer counts. Send /addface with a new selfie to keep receiving photos.`,
  anotherSelfie: () => 'Tip: one more selfie from another angle (/addface) helps me recognise you in more photos.',

  // Refusals, by core/membership's codes and the core errors' codes.
  noFace: () => 'No face was found in that picture. Send a clear, well-lit photo of your face, looking at the camera.',
  severalFaces: (n: number) => `That picture shows ${n} faces of similar size. Send a photo of your face alone.`,
  badImage: (code: string) =>
    ({
      empty: 'The file is empty.',
      not_an_image: 'The file is not an image (JPEG, PNG, WebP, GIF, TIFF or AVIF).',
      too_large: 'The image has too many pixels to process safely.',
      corrupt: 'The image is damaged or truncated and cannot be read.',
      heic_unsupported:
        "The image is HEIC (an iPhone's default format), which this server cannot decode yet: send it as JPEG (on the iPhone: Settings > Camera > Formats > Most Compatible, or share it as JPEG).",
    })[code] ?? 'That picture cannot be read.',
  faceTaken: (other: string) => `This face is already registered to ${other} in this group.`,
  alreadyRegisteredHere: () => 'You are already registered in this group. Use /addface to add another selfie.',
  /** An album address refused: `detail` is the address check's reason. */
  albumAddress: (detail: string) => detail,
  albumFailed: () => 'The album server could not create your album right now. Please try again in a few minutes.',
  wrongChild: (name: string) => `That face is not ${name}'s as I know it. Send a clear photo of ${name}.`,
  dependentGone: () => 'That dependent is no longer registered.',
  somethingWrong: () => 'Something went wrong on our side. Please try again later.',
  facesNotDeletedYet: () => 'Your face is not deleted from your album yet: the album server did not answer. I keep trying, and I will tell you when it is done.',
  albumNotDeletedYet: () => 'Your album is not deleted yet: the album server did not answer. I keep trying, and I will tell you when it is done.',
  facesRefused: (reason: string | undefined, forgetAlbum: string) =>
    `Your album server refused to delete your face from your album, so it may still hold it${reason ? `: ${reason}` : '.'} You can delete the whole album with ${forgetAlbum}.`,

  // Registration (Telegram wording; Discord's own below).
  openPrivately: (name: string) => `${name}, let's do this in our private chat, so your selfie stays out of the group: tap the button.`,
  registerPrivately: () => 'Register privately',
  registerPrivatelyInstead: () => 'Register privately instead',
  notYours: () => 'This link is not yours or has expired. Send /register in your group for a new one.',
  buttonNotYours: () => 'This button is not for you, or it has expired.',
  thanks: () => 'Thank you',
  sendSelfie: (subject?: string) =>
    subject ? `Thank you. Now send me a photo of ${subject}: their face alone, well lit.` : 'Thank you. Now send me a selfie here: your face alone, well lit, looking at the camera. (Or send /register profile to use your profile photo.)',
  pick: (n: number) => `That picture shows ${n} faces of similar size. Which one is you? Tap its number.`,
  joined: (name: string, approval: boolean) => `✅ ${name} joined.${approval ? ' An admin approves new faces here first.' : ''}`,
  joinedWithGuardian: (subject: string, guardian: string) => `${subject} (with ${guardian})`,
  welcome: (title: string, subject?: string) =>
    subject ? `✅ ${subject} is registered in ${title}: photos of them posted there go to your album.` : `✅ You are registered in ${title}: every photo posted there that shows your face goes to your album.`,
  ownAlbumAccount: (username: string) => `Your album is the account ${username} on your own album server.`,
  linkPrivate: (link: string) => `Your album: ${link}\n\nThis link is private: anyone who has it can see your photos.`,
  openBot: (bot: string) => `I can't message you before you open a chat with me: open https://t.me/${bot}?start=album (or find @${bot}) and send /album for your album link.`,
  guardianCode: (name: string, code: string) => `A second guardian of ${name} can join with this one-time code: they send me /join ${code} in a private chat (valid 7 days).`,
  codeUnknown: () => 'That code is unknown or has expired. Ask the first guardian for a new one.',
  joinPrivately: () => 'Send /join <code> to me in a private chat.',
  alreadyRegistered: () => 'You are already registered here. /addface adds another selfie; /forget deletes your face data.',
  cannotDelete: () => 'I could not delete that selfie from the group (I am not allowed to delete messages here). Next time send /register alone: I will take the selfie in our private chat.',
  registerUsage: () => 'Usage: /register with a selfie as the caption, or /register <album-url> <username> to use your own album server.',
  noProfilePhoto: () => 'I cannot see a profile photo of yours. Send a selfie instead: your face alone, well lit.',
  tooBig: () => 'That file is over 20 MB, the most Telegram lets a bot download. Send it as a photo (not as a file), or a smaller file.',
  groupOnly: (command: string) => `/${command} works in a group: send it there, in the group whose photos you want.`,
  notRegistered: () => 'You are not registered in this group. Send /register to join.',

  // Admins (Telegram wording).
  notAdmin: () => "Only the group's admins can do that.",
  refusedToAdmins: (who: string, title: string, other: string) => `In ${title}, ${who} tried to register a face already registered to ${other}. I refused it.`,
  approveAsk: (name: string, title: string) => `${name} wants to join ${title}. Is this their face? Until an admin approves it, it matches nothing.`,
  approveButton: () => '✅ Approve',
  approvedShort: () => 'Approved',
  entryGone: () => 'That entry is gone.',
  approvedMember: (name: string) => `Approved: ${name} now receives the group's photos.`,
  nobodyYet: () => 'Nobody is registered here yet.',
  membersList: (count: number, lines: string[]) => [`Members (${count}):`, ...lines, '', '/remove <number> deletes an entry.'].join('\n'),
  memberLine: (n: number, name: string, joined: string, waiting: boolean) => `${n}. ${name} — joined ${joined} UTC — ${waiting ? 'waiting for approval' : 'approved'}`,
  paused: () => '⏸ Paused: photos posted here go to nobody until an admin sends /resume.',
  resumed: () => '▶️ Resumed: photos posted here reach the members in them again.',
  approvalUsage: () => 'Usage: /approval on (new faces wait for an admin) or /approval off.',
  approvalOn: () => 'Approval mode on: I show each new face to the admins privately; it matches nothing until one of them approves.',
  approvalOff: () => 'Approval mode off: new faces match at once.',
  removeUsage: () => 'Usage: /remove <number from /members>.',
  removedByAdmin: (title: string) => `An admin of ${title} removed your entry there: its photos no longer reach you. Your album stays yours.`,
  removed: (name: string) => `Removed ${name}: their face data here is deleted.`,

  // Forgetting (Telegram wording).
  forgotDependent: (name: string, groups: number) => `Done: ${name}'s face data is deleted (${groups} group${groups > 1 ? 's' : ''}).`,
  noSuchDependent: (name: string) => `You hold no dependent called ${name}.`,
  notRegisteredAnywhere: () => 'You are not registered in any group.',
  forgotten: (everywhere: boolean) =>
    `Done: your face data is deleted${everywhere ? ' from every group' : ' from this group'}, so new photos no longer reach you. The photos already in your album stay there.`,
  deleteAlbumToo: () => 'Delete your album too, with every photo in it? (Or send /forget album.)',
  deleteAlbumButton: () => '🗑 Delete my album',
  keepAlbumButton: () => 'Keep it',

  // Telegram's other commands.
  help: (bot: string) =>
    [
      'I get every group photo to the people who are in it.',
      '',
      '1. In your group, send /register: I open our private chat, say what I store, ask for your consent, then for a selfie (your face alone, well lit). Your selfie never appears in the group.',
      '2. From then on, every photo posted in the group that shows your face goes to your private album.',
      `3. Send me /album in a private chat (@${bot}) for your album link. It is yours alone: I never post it in a group.`,
      '',
      '/addface adds another selfie. /forget deletes your face data, then offers to delete your album. /members lists who receives photos here. /privacy says what I store, where, for how long.',
      '/register child <name> registers a child in your care (their photos come to your album); admins: /pause, /resume, /approval on|off, /remove <n>.',
      'To use your own album server: /register <album-url> <username>, then a selfie.',
    ].join('\n'),
  privatePhoto: (bot: string) =>
    `I share photos posted in groups with the members who are in them. A photo sent here, in our private chat, goes to nobody.\n\nTo join: add me (@${bot}) to your group, then send /register there.`,
  sendSelfieNamed: (name: string) => `${name}, now send a selfie: your face alone, well lit, looking at the camera.`,
  orProfile: () => 'Or send /register profile to use your Telegram profile photo, if it shows your face alone.',
  noAlbum: () => 'You have no album yet. In your group, send /register.',
  addedFace: () => 'Added: with one more selfie I recognise you more reliably.',
  registeredInGroup: (name: string) => `✅ ${name} is registered: every photo posted here that shows your face goes to your album.`,
  linkSentSuffix: () => 'I sent you its link in a private message.',
  nobodyJoinHint: () => 'Nobody is registered here yet. Send /register to join.',
  photosGoTo: (names: string[]) => `Photos posted here go to (${names.length}): ${names.join(', ')}.`,
  ownAlbumPrivate: (username: string, album: string) => `Your photos go to the account ${username} on ${album}.`,
  ownAlbumGroup: () => 'Your photos go to your own album server.',
  linkSent: () => 'I sent you your album link in a private message.',
  forgetButtonNotYours: () => 'This button is for the member who sent /forget.',
  keptAlbum: () => 'Kept your album. Send /forget album if you change your mind.',
  albumDeletedEverywhere: (deleted: boolean) =>
    deleted ? 'Your album and every photo in it are deleted, and your face data is removed from every group.' : 'You have no album here to delete (your face data is removed from every group).',
  albumPendingEverywhere: () => `${en.albumNotDeletedYet()} (Your face data is removed from every group.)`,
  albumLinkChanged: () =>
    'Your album is NOT deleted: The album no longer opens with the link I hold (a new link was made on the album page, or it was deleted), so I could not delete it from here. Open your album page and delete it there. Your face data is removed from every group.',
  albumNotConfirmed: () => 'Your album is NOT deleted yet: the album server did not confirm it. Please try /forget album again later (your face data is removed from every group).',

  // Notices: the answers to /notify and to a notice's buttons (the notices themselves go out unasked, in English).
  notifyMode: (mode: string) =>
    ({
      instant: 'I tell you about new photos of you as soon as they reach your album.',
      digest: 'I tell you about new photos of you a few minutes after the first, then at most once an hour.',
      daily: 'I tell you about new photos of you at most once a day.',
      off: 'I no longer tell you about new photos, and I ask you nothing. Your photos still reach your album.',
    })[mode] ?? mode,
  notifyUsage: (mode: string) => `Now: ${mode}. Send /notify instant, /notify digest, /notify daily or /notify off.`,
  notMe: (kind: string) =>
    ({
      removed: 'Removed from your album. I will not send you that face again.',
      recorded: 'Noted: I will not send you that face again. Remove the photo from your own album server yourself.',
      album_unreachable: 'Noted: I will not send you that face again. Your album server did not answer, so delete the photo there yourself.',
      already: 'Already done.',
      not_yours: 'This button is for the member the photo was sent to.',
    })[kind] ?? 'Already done.',
  questionAnswered: (kind: string) =>
    ({
      delivered: '✅ Thanks! It is in your album.',
      queued: '✅ Thanks! It is on its way to your album.',
      refused: 'Your album did not accept it (it did not find your face in it).',
      no: 'Thanks, noted: I will not send you that face.',
      already: 'Already answered.',
      not_yours: 'This question is for someone else.',
      gone: 'That photo is no longer here.',
    })[kind] ?? 'Already answered.',
  buttonRetired: () => 'This button is no longer in use.',

  // Discord's wording.
  dcAlbumWithUsername: () => 'With `album:` give your account name on that server too, as `username:`.',
  dcButtonNotYours: () => 'This button is not yours, or it has expired. Run /register again.',
  dcPick: (n: number) => `That picture shows ${n} faces of similar size. Which one is you? Press its number.`,
  dcWrongChild: (name: string) => `That face is not ${name}'s as I know it. Run \`/register code:\` again with a clear photo of ${name}.`,
  dcRegistered: (name: string) => `You are registered here, ${name}: photos of you posted in this channel go to your album.`,
  dcChildRegistered: (name: string) => `✅ ${name} is registered here: photos of them posted in this channel go to your album.`,
  dcGuardianCode: (name: string, code: string) => `A second guardian of ${name} can join with this one-time code: they run \`/register code:${code}\` here with a photo of ${name} as the selfie (valid 7 days).`,
  dcWaiting: () => 'An admin approves new faces here first (`/approve`): until then no photo reaches you.',
  dcLink: (url: string) => `Your album: ${url}\nKeep this link to yourself: anyone who has it can see your photos.`,
  dcOwnAlbum: (username: string, album: string) => `Your photos go to the account **${username}** on ${album}.`,
  dcNotRegistered: () => 'You are not registered in this channel yet: use `/register` with a selfie first.',
  dcDownloadFailed: () => 'Your picture could not be fetched from Discord. Please try again.',
  dcAlbumRefused: (reason: string) => `The album server refused: ${reason}`,
  dcAlbumUnreachable: () => 'The album server could not be reached. Please try again in a minute.',
  dcNotAdmin: () => "Only this channel's admins (Manage Server or Manage Channels) can do that.",
  dcApproved: (name: string) => `Approved: photos of ${name} posted here now reach them.`,
  dcNoEntry: (name: string) => `${name} has no entry here.`,
  dcForgotten: (removed: boolean) => (removed ? 'Your face data is removed from this channel: photos posted here no longer reach you.' : 'You were not registered in this channel.'),
  dcAlbumDeleted: (deleted: boolean) => (deleted ? 'Your album and every photo in it are deleted.' : 'You have no album on this server to delete.'),
  dcForgetAlbum: () => '`/forget delete_album:True`',
  dcHelp: () =>
    [
      '**facedrop** sends every photo posted in this channel to the people who are in it.',
      '• `/register selfie:` a clear photo of your face alone. You get a private album; photos of you posted here land in it.',
      '• `/addface selfie:` another selfie, so more photos of you are recognised.',
      '• `/album` shows your album link again (only to you).',
      '• `/forget` removes your face data from this channel; add `delete_album:True` to delete your album too.',
      '• `/members` lists who is registered here.',
      '• `/notify mode:` how often I tell you by DM about new photos of you: instant, digest, daily or off.',
      '• `/register child:<name> selfie:` registers a child in your care; `/register code:<code> selfie:` joins as their second guardian.',
      'Photos are matched by face; nobody else ever sees your album link.',
    ].join('\n'),
  dcAddedFace: (n: number) => `Added: you now have ${n} reference selfies here.`,
  dcNoAlbum: () => 'You have no album yet: use `/register` with a selfie.',
  dcNobody: () => 'Nobody is registered in this channel yet: `/register` with a selfie.',
  dcRegisteredList: (n: number, names: string) => `Registered here (${n}): ${names}.`,
  dcNoNotices: () => 'Notices are not available here.',

  dcInterrupted: () => 'I was restarted before I could answer this. Please run the command again.',
  dcUseInServer: () => 'Use facedrop in a server channel.',
};

/** Every language has every key, with the same parameters, each giving a sentence. */
export type Catalogue = { [K in keyof typeof en]: (...args: Parameters<(typeof en)[K]>) => string };
