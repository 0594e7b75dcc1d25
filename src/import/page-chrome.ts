/**
 * Lines that are page furniture, not story: navigation, subscribe and share prompts, comment
 * widgets, government site banners. Matched against a whole line (or paragraph), case-insensitive.
 */
const CHROME_LINES: readonly RegExp[] = [
  /^(subscribe|sign up|sign in|log in|login|register|log in or register|newsfeed|loader|chats?|menu|search|home|share|share this|tweet|print|email|e-mail|comments?|\d+ comments?|advertisement|ad|related|related stories|related articles|read more|more|see also|top stories|most read|most popular|trending|breaking news|latest news|live|watch|listen|play|next up|video|audio|photos?)$/i,
  /^(follow us|like us|join us|download (the|our) app|get the app)\b/i,
  /^to participate in the discussion$/i,
  /^(no comments|post a comment|comments are closed|leave a comment|add a comment)\b/i,
  /^accessibility links$/i,
  /^(skip to|follow this link to skip to)\b.*\b(content|navigation)$/i,
  /^text size$/i,
  /^(xs|sm|md|lg|xl)$/i,
  /^an official website of the united states government$/i,
  /^here['’]s how you know$/i,
  /^official websites use \.gov$/i,
  /^\.gov website belongs to an official government organization/i,
  /^secure \.gov websites use https$/i,
  /^a lock \( ?lock ?\) or https:\/\//i,
  /^you have accessed part of a historical collection/i,
  /^(posted|published|updated)\b.{0,40}\d{4}.*$/i,
  /^share (on|via) /i,
  /^(copyright|©|\(c\))\s*\d{4}\b/i,
  /^all rights reserved\.?$/i,
  /^cookies?\b.*\b(accept|consent|policy)\b/i,
  /^(\(?source\s*:.*\)?)$/i,
  /^[\d\s.,:|/-]+$/,
  /^[^\p{L}\p{N}]+$/u,
];

export function isChromeLine(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || CHROME_LINES.some((pattern) => pattern.test(trimmed));
}

/** The page is in a Latin script but this line is not: a leftover from another language's template. */
export function isForeignScriptLine(line: string): boolean {
  // Latin letters, punctuation and symbols only: the common case, decided without a Unicode scan.
  if (/^[\u0020-\u024f\u2000-\u206f\u20a0-\u20bf]*$/.test(line)) return false;
  const letters = line.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const latin = letters.filter((letter) => /\p{Script=Latin}/u.test(letter)).length;
  return latin / letters.length < 0.3;
}
