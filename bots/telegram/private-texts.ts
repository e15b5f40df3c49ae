// What the membership flow says on Telegram (moving to the shared catalogue, bots/shared/i18n).
/** Added to the bot's command menu. */
export const membershipCommandList = [
  { command: 'privacy', description: 'What I store about you, where, for how long, how to delete it' },
  { command: 'join', description: 'Join as second guardian of a dependent: /join <code>' },
  { command: 'pause', description: 'Admins: stop matching photos in this group' },
  { command: 'resume', description: 'Admins: match photos in this group again' },
  { command: 'approval', description: 'Admins: /approval on|off: new faces wait for an admin' },
  { command: 'remove', description: 'Admins: /remove <number from /members> deletes an entry' },
] as const;

export const privateTexts = {
  openPrivately: (name: string) => `${name}, let's do this in our private chat, so your selfie stays out of the group: tap the button.`,
  notYours: 'This link is not yours or has expired. Send /register in your group for a new one.',
  sendSelfie: (subject?: string) =>
    subject ? `Thank you. Now send me a photo of ${subject}: their face alone, well lit.` : 'Thank you. Now send me a selfie here: your face alone, well lit, looking at the camera. (Or send /register profile to use your profile photo.)',
  pick: (n: number) => `That picture shows ${n} faces of similar size. Which one is you? Tap its number.`,
  joined: (name: string, approval: boolean) => `✅ ${name} joined.${approval ? ' An admin approves new faces here first.' : ''}`,
  welcome: (title: string, subject?: string) =>
    subject ? `✅ ${subject} is registered in ${title}: photos of them posted there go to your album.` : `✅ You are registered in ${title}: every photo posted there that shows your face goes to your album.`,
  cannotDelete: 'I could not delete that selfie from the group (I am not allowed to delete messages here). Next time send /register alone: I will take the selfie in our private chat.',
  notAdmin: 'Only the group\'s admins can do that.',
  refusedToAdmins: (who: string, title: string, other: string) => `In ${title}, ${who} tried to register a face already registered to ${other}. I refused it.`,
  approveAsk: (name: string, title: string) => `${name} wants to join ${title}. Is this their face? Until an admin approves it, it matches nothing.`,
  guardianCode: (name: string, code: string) => `A second guardian of ${name} can join with this one-time code: they send me /join ${code} in a private chat (valid 7 days).`,
  wrongChild: (name: string) => `That face is not ${name}'s as I know it. Send a clear photo of ${name}.`,
};
