// One redactor for every log line of the bots and of `facedrop serve`: bot tokens (Telegram's sit in file
// URLs, Discord's are three dotted parts), interaction and webhook tokens in REST paths, album tokens in album
// links, and signed attachment queries.
const patterns: Array<[RegExp, string]> = [
  // Telegram bot tokens in Bot API paths.
  [/\/bot\d+:[\w-]+/g, '/bot[token]'],
  // Discord bot tokens: base64 user id . timestamp . HMAC.
  [/[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}/g, '[token]'],
  // Interaction and webhook tokens in REST paths.
  [/(\/(?:webhooks|interactions)\/\d+\/)[^/\s?#]+/g, '$1[token]'],
  // Album links and API paths (ARCHITECTURE.md: /a/:token, /api/albums/:token).
  [/(\/a\/|\/api\/albums\/)[^/\s?#]+/g, '$1[token]'],
  // Signed attachment query strings.
  [/([?&](?:ex|is|hm)=)[^&\s#]+/g, '$1…'],
];

/** `text` without the given secrets or anything shaped like a token. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[token]');
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
}
