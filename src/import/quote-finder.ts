import {
  appositiveRole,
  HONORIFICS,
  honorificOf,
  isOrgNoun,
  isPlausibleFullName,
  isRoleWord,
  People,
  readName,
  roleBefore,
  findOrganizations,
  tokenize,
  type Organization,
  type Person,
} from './people-finder.ts';

/**
 * Direct quotations and who said them, by the patterns of news style (docs/import.md, "Quotes").
 * Precision first: a quote whose speaker is not certain is returned flagged, without a speaker.
 */

export interface FoundQuote {
  /** Paragraph (index into the paragraphs given) where the quotation opens. */
  readonly paragraph: number;
  readonly text: string;
  readonly speaker?: { person: Person } | { organization: Organization };
  readonly context?: string;
  /** Why the quote is held for review instead of emitted. */
  readonly flag?: string;
}

export interface QuoteScan {
  readonly quotes: FoundQuote[];
  /** Quoted phrases that are not quotations: scare quotes, titles, short fragments. */
  readonly ignored: { paragraph: number; text: string; reason: string }[];
  readonly people: People;
}

const SPEECH_VERBS =
  'said|says|say|told|tells|added|adds|noted|notes|explained|explains|stated|states|wrote|writes|asked|asks|replied|replies|answered|continued|concluded|concludes|insisted|insists|argued|argues|warned|warns|declared|declares|announced|announces|acknowledged|acknowledges|admitted|admits|recalled|recalls|remarked|observed|pondered|mused|commented|comments|suggested|suggests|stressed|stresses|emphasized|emphasised|claimed|claims|contended|maintained|conceded|predicted|urged|cautioned|countered|responded|quipped|joked|tweeted|posted|testified|affirmed|confirmed|confirms|recounted|reflected|lamented|complained|boasted|vowed|promised|pointed out|went on';
const VERB_AFTER = new RegExp(`^(?:${SPEECH_VERBS})$`, 'i');
const PRE_VERBS = new RegExp(
  `(?:^|\\s)((?:also|later|then|has|had|once|recently|previously|simply|further)\\s+)?(${SPEECH_VERBS}|called|described|calls|describes)\\b`,
  'gi',
);
const PREPOSITIONS =
  /^(on|in|at|during|to|from|after|before|while|via|through|about|following|outside|inside|near|with|for|ahead|earlier|later|last|this|when|as|upon|into|over|of)$/;
const SCARE_LEAD =
  /(?:\b(?:called|calls|dubbed|dubs|so-called|titled|entitled|named|termed|known as|labell?ed|branded|the word|the term|the phrase|the slogan|the hashtag|the motto|the headline|the title|the book|the film|the song|the show|the series|the program|the programme|the album|the novel|the play|the campaign)(?:\s+(?:it|them|this|that|him|her))?\s*)$/i;
const ANONYMOUS =
  /^(one|another|a|an|some|several|two|three|four|five|many|other|others|most|few|officials?|sources?|witnesses|residents|analysts|experts|critics|people|observers|viewers?|readers?|listeners?|users?|commenters?|protesters|supporters|opponents|authorities|police|diplomats|aides)\b/i;

const OPEN = new Set(['“', '„', '«', '‟']);
const CLOSE = new Set(['”', '»']);

interface Span {
  readonly start: number;
  readonly end: number;
  readonly innerStart: number;
  readonly innerEnd: number;
  readonly closed: boolean;
}

function isStraightOpen(text: string, index: number): boolean {
  const before = text[index - 1];
  return before === undefined || /[\s([{—–\-/:]/.test(before) || OPEN.has(before);
}

export function findSpans(text: string): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (OPEN.has(char) || (char === '"' && isStraightOpen(text, i))) {
      let j = i + 1;
      for (; j < text.length; j += 1) {
        const c = text[j]!;
        if (CLOSE.has(c) || (c === '"' && !isStraightOpen(text, j)) || (c === '"' && j === text.length - 1))
          break;
        if (OPEN.has(c)) {
          j = text.length;
          break;
        }
      }
      if (j < text.length) {
        spans.push({ start: i, end: j + 1, innerStart: i + 1, innerEnd: j, closed: true });
        i = j + 1;
        continue;
      }
      spans.push({ start: i, end: text.length, innerStart: i + 1, innerEnd: text.length, closed: false });
      break;
    }
    i += 1;
  }
  return spans;
}

const ABBREVIATION =
  /(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Rev|St|Jr|Sr|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Adm|No|vs|etc|Inc|Corp|Co|Ltd|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|(?:[A-Z]\.)+[A-Z])$/;

/** Where the sentence containing `index` starts. */
function sentenceStart(text: string, index: number): number {
  for (let k = index - 1; k > 0; k -= 1) {
    const char = text[k]!;
    if ((char === '.' || char === '!' || char === '?') && /\s/.test(text[k + 1] ?? '')) {
      if (char === '.' && ABBREVIATION.test(text.slice(Math.max(0, k - 12), k))) continue;
      return k + 1;
    }
    if ((char === '”' || char === '"') && /[.!?]/.test(text[k - 1] ?? '') && /\s/.test(text[k + 1] ?? '')) {
      return k + 1;
    }
  }
  return 0;
}

/** Where the sentence that goes on at `index` ends (exclusive), or the next quotation opens. */
function sentenceEnd(text: string, index: number): number {
  for (let k = index; k < text.length; k += 1) {
    const char = text[k]!;
    if (OPEN.has(char) || (char === '"' && isStraightOpen(text, k))) {
      // A short quoted title inside the sentence ("during a “Defense One” program") does not end it.
      const close = findSpans(text.slice(k, k + 80))[0];
      const inner = close?.closed ? text.slice(k + 1, k + close.innerEnd) : '';
      if (close?.closed && inner.split(/\s+/).length <= 5 && isTitleCase(inner)) {
        k += close.end - 1;
        continue;
      }
      return k;
    }
    if (
      (char === '.' || char === '!' || char === '?') &&
      (k + 1 === text.length || /\s/.test(text[k + 1]!))
    ) {
      if (char === '.' && ABBREVIATION.test(text.slice(Math.max(0, k - 12), k)) && k + 1 < text.length)
        continue;
      return k + 1;
    }
  }
  return text.length;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

function isTitleCase(text: string): boolean {
  const words = text.split(/\s+/).filter((word) => /\p{L}/u.test(word));
  if (words.length === 0 || words.length > 12 || /[.!?,;]$/.test(text.trim())) return false;
  const significant = words.filter((word) => word.replace(/^\P{L}+/u, '').length > 3);
  return significant.length > 0 && significant.every((word) => /^\P{L}*\p{Lu}/u.test(word));
}

type SpeakerPhrase =
  | { kind: 'name'; name: string; role?: string; honorific?: string }
  | { kind: 'pronoun'; pronoun: string }
  | { kind: 'definite'; noun: string }
  | { kind: 'organization'; name: string }
  | { kind: 'anonymous'; text: string }
  | { kind: 'unknown'; text: string };

/** What an attribution's subject says about the speaker. */
export function parseSpeaker(phrase: string): SpeakerPhrase {
  const text = phrase
    .replace(/^[\s,;:—–-]+|[\s,;:—–-]+$/g, '')
    .replace(/^(and|but|while|as)\s+/i, '')
    .trim();
  if (/^(he|she)$/i.test(text)) return { kind: 'pronoun', pronoun: text.toLowerCase() };
  if (/^(they|it|we|i|you|this|that)$/i.test(text)) return { kind: 'unknown', text };
  const definite = /(?:^|\s)the\s+([a-z][a-z-]*)$/i.exec(text);
  if (definite && /^the\s/i.test(text.slice(definite.index).trim()) && /^[a-z]/.test(definite[1]!)) {
    const noun = definite[1]!;
    if (isRoleWord(noun) || isOrgNoun(noun[0]!.toUpperCase() + noun.slice(1)))
      return { kind: 'definite', noun };
  }
  if (ANONYMOUS.test(text) && !/^[A-Z][a-z]+\s+[A-Z]/.test(text)) return { kind: 'anonymous', text };
  const tokens = tokenize(text);
  const last = tokens.at(-1)?.text ?? '';
  if (isOrgNoun(last)) {
    const orgs = findOrganizations(text);
    const org = orgs.at(-1);
    if (org) return { kind: 'organization', name: org.name };
  }
  // The last run of name tokens is the name; a role and an honorific may stand before it.
  let end = tokens.length;
  while (end > 0 && /^[.,]$/.test(tokens[end - 1]!.text)) end -= 1;
  let start = end;
  while (start > 0) {
    const candidate = tokens[start - 1]!.text;
    if (
      /^[A-Z]\.$/.test(candidate) ||
      (/^\p{Lu}/u.test(candidate) &&
        readName(tokens, start - 1) &&
        !isRoleWord(candidate) &&
        !HONORIFICS.has(candidate))
    ) {
      start -= 1;
      continue;
    }
    if (start < end && /^(al|el|bin|ibn|de|da|di|van|von|der|del|la|le|du)(-|$)/.test(candidate)) {
      start -= 1;
      continue;
    }
    break;
  }
  if (start === end) return { kind: 'unknown', text };
  const name = readName(tokens, start);
  if (!name || name.next !== end) return { kind: 'unknown', text };
  const honorificToken = tokens[start - 1]?.text;
  const roleEnd = honorificToken && HONORIFICS.has(honorificToken) ? start - 1 : start;
  const role = roleBefore(text, tokens, roleEnd);
  const honorific = honorificOf(honorificToken);
  // Words before the name that are not a role ("Washington, D.C., June 9, 2005 - …") are left out.
  return { kind: 'name', name: name.name, ...(role ? { role } : {}), ...(honorific ? { honorific } : {}) };
}

/** Splits "historian and author Dr. Gerald Horne on Sputnik’s The Critical Hour" into speaker and context. */
function splitContext(rest: string): { speaker: string; context?: string } {
  const tokens = tokenize(rest);
  let sawName = false;
  for (const [index, token] of tokens.entries()) {
    if (token.text === ',') {
      // "Name, spokesman for …" keeps its appositive (a role, found again by findPeople); anything
      // else after a comma ("one viewer, while another commented") is not part of the speaker.
      return { speaker: rest.slice(0, token.start) };
    }
    if (/^\p{Lu}/u.test(token.text) || /^(he|she|they)$/i.test(token.text)) sawName = true;
    if (index > 0 && sawName && PREPOSITIONS.test(token.text)) {
      return { speaker: rest.slice(0, token.start), ...contextOf(rest.slice(token.start)) };
    }
  }
  return { speaker: rest };
}

function contextOf(text: string): { context?: string } {
  const context = text.replace(/[\s.,;:]+$/, '').trim();
  const first = context.split(/\s+/)[0] ?? '';
  if (
    context === '' ||
    context.length > 160 ||
    !PREPOSITIONS.test(first.toLowerCase()) ||
    /^(to|of|as|this|last|when)$/i.test(first)
  ) {
    return {};
  }
  return { context };
}

interface Attribution {
  readonly phrase: string;
  readonly context?: string;
  /** Where the attribution ends in the paragraph (for joining a split quote that follows it). */
  readonly end?: number;
}

/** `“…,” said X` / `“…,” X said in a statement.` / `“…” — X` after the closing mark. */
function attributionAfter(text: string, span: Span, inner: string): Attribution | undefined {
  const end = sentenceEnd(text, span.end);
  const after = text.slice(span.end, end);
  const trimmed = after.replace(/^\s*,?\s*/, '');
  if (trimmed === '') return undefined;
  const endsOpen =
    /[,?!—–-]$/.test(inner.trim()) || /[,]$/.test(text.slice(span.innerStart, span.innerEnd).trim());
  // Verb first: “…,” explained historian and author Dr. Gerald Horne on …
  const verbFirst = new RegExp(`^(${SPEECH_VERBS})\\s+(.+?)[\\s.!?]*$`, 'i').exec(trimmed);
  if (verbFirst && endsOpen) {
    const { speaker, context } = splitContext(verbFirst[2]!);
    return { phrase: speaker, ...(context ? { context } : {}), end };
  }
  // Speaker first: “…,” Horne noted. / “…,” the ministry said in a statement.
  const words = trimmed.split(/\s+/);
  for (let k = 1; k <= Math.min(words.length - 1, 12); k += 1) {
    const word = words[k]!.replace(/[.,;:!?]+$/, '');
    const verb = VERB_AFTER.test(word) ? word : undefined;
    if (!verb) continue;
    const phrase = words
      .slice(0, k)
      .join(' ')
      .replace(/\s+(also|later|then|has|had)$/i, '');
    if (/[“”"]/.test(phrase) || /[.!?]$/.test(phrase)) return undefined;
    if (/^(which|that|who|whom|whose|where|when|what|and|but|or|so|if|because)\b/i.test(phrase))
      return undefined;
    const rest = words.slice(k + 1).join(' ');
    if (!endsOpen && !/^\p{Lu}/u.test(trimmed)) return undefined;
    return { phrase, ...contextOf(rest), end };
  }
  // An epigraph or card: “…” — Anthony Cordesman
  const epigraph = /^[—–-]?\s*([\p{Lu}][\p{L}.'’ -]{2,60}?)\.?\s*$/u.exec(trimmed);
  if (epigraph && end === text.length && !/\s(is|are|was|were|has|have)\s/.test(epigraph[1]!)) {
    return { phrase: epigraph[1]!, end };
  }
  return undefined;
}

/** `X said, “…` / `X said: “…` / `…, saying: “…` / `…, he said, is whether they “…` before the opening mark. */
function attributionBefore(text: string, span: Span): Attribution | undefined {
  const start = sentenceStart(text, span.start);
  const before = text.slice(start, span.start);
  const statement =
    /^(.*?)\s+(?:issued|released|made|gave|sent|put out|read)\s+(?:the following|this|a|the|an)\s+(?:written\s+)?statement\b[^“”"]*[:,]\s*$/i.exec(
      before,
    );
  if (statement) return { phrase: statement[1]!, context: 'in a statement' };
  const saying =
    /^(.*?),?\s+(?:saying|adding|noting|writing|declaring|explaining|arguing|warning|insisting)[,:]?\s*$/i.exec(
      before,
    );
  if (saying) {
    const clause = saying[1]!.replace(/^[^,]{0,30},\s+/, ''); // "In it, the president chides …"
    const subject = /^((?:the|a|an)\s+[a-z-]+|(?:[A-Z][\p{L}.'’-]*\s*){1,5}|he|she)\b/iu.exec(clause.trim());
    return subject ? { phrase: subject[1]!.trim() } : undefined;
  }
  const parenthetical = new RegExp(`,\\s+([^,]{1,60}?)\\s+(?:${SPEECH_VERBS}),\\s+[^,]*$`, 'i').exec(before);
  if (parenthetical) return { phrase: parenthetical[1]! };
  const matches = [...before.matchAll(PRE_VERBS)];
  const last = matches.at(-1);
  if (!last) return undefined;
  const subject = before.slice(0, last.index).trim();
  const tail = before.slice(last.index + last[0].length);
  const verb = last[2]!.toLowerCase();
  const naming = /^(called|described|calls|describes)$/.test(verb);
  // After the verb: nothing, an object ("told reporters", "called VOA"), then "," or ":".
  // "… said in a statement that “…”": a partial quotation introduced by "that".
  const that = /^(\s+[^“”".!?,]{0,80}?)?\s+that\s*$/.exec(tail);
  if (that && !naming) {
    const clause = subject.replace(/^.*[;—–]\s*/, '').replace(/^.*\s-\s/, '');
    return clause === '' ? undefined : { phrase: clause, ...contextOf(that[1] ?? '') };
  }
  if (!/^(\s+[^“”".!?]{0,80}?)?\s*[,:]?\s*$/.test(tail)) return undefined;
  // Without "," or ":" only a partial quotation, which opens lower case, may follow the verb.
  const partial = /^\p{Ll}/u.test(text.slice(span.innerStart, span.innerStart + 1)) && /^\s*$/.test(tail);
  if (!naming && !partial && !/[,:]\s*$/.test(tail)) return undefined;
  if (naming && /\s(as)\s*$/.test(tail) === false && /^\s*$/.test(tail)) return undefined;
  const clause = subject
    .replace(/^.*[;—–]\s*/, '')
    .replace(/^.*\s-\s/, '')
    .replace(/^.*,\s+(?:in which|of which|after which|at which|which|who|whom|where|when)\s+/i, '');
  if (clause === '') return undefined;
  return { phrase: clause };
}

function mentionsIn(text: string, people: People): Person[] {
  return people.people.filter((person) => {
    const pattern = new RegExp(`\\b(${escape(person.name)}|${escape(person.surname)})\\b`);
    return pattern.test(text);
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Registers the people and organizations the paragraphs name with evidence. */
export function findPeople(paragraphs: readonly string[], people: People): void {
  paragraphs.forEach((text, paragraph) => {
    for (const org of findOrganizations(text)) people.addOrganization(org.name, paragraph);
    const tokens = tokenize(text);
    for (let k = 0; k < tokens.length; k += 1) {
      const token = tokens[k]!.text;
      if (!/^\p{Lu}/u.test(token) || isRoleWord(token) || HONORIFICS.has(token)) continue;
      const previous = tokens[k - 1]?.text;
      if (previous && /^[A-Z][a-z]/.test(previous) && !isRoleWord(previous) && !HONORIFICS.has(previous))
        continue;
      const name = readName(tokens, k);
      if (!name) continue;
      const honorificToken = previous && HONORIFICS.has(previous) ? previous : undefined;
      const role = roleBefore(text, tokens, honorificToken ? k - 1 : k);
      const lastToken = tokens[name.next - 1]!;
      const after = text.slice(lastToken.end);
      const appositive = name.possessive ? undefined : appositiveRole(text, lastToken.end);
      const who = /^,\s+who\b/.test(after);
      const full = isPlausibleFullName(name.name);
      const evidence =
        (role !== undefined && (full || !name.name.includes(' '))) ||
        (honorificToken && full) ||
        ((appositive || who) && full);
      if (evidence && !isOrgNoun(name.name.split(' ').at(-1)!)) {
        const honorific = honorificOf(honorificToken);
        people.add(name.name, paragraph, role ?? appositive, honorific);
      }
      k = name.next - 1;
    }
  });
}

type Candidate = {
  paragraph: number;
  parts: { paragraph: number; span: Span }[];
  closed: boolean;
  /** The paragraph before a chain opened by "issued the following statement:". */
};

function innerText(paragraphs: readonly string[], part: { paragraph: number; span: Span }): string {
  return paragraphs[part.paragraph]!.slice(part.span.innerStart, part.span.innerEnd).trim();
}

/** The quote's words, fragments joined: a fragment's closing comma becomes a full stop. */
function joinFragments(fragments: string[], separator: string): string {
  return fragments
    .map((fragment, index) =>
      index < fragments.length - 1 ? fragment.replace(/,$/, '.') : fragment.replace(/,$/, '.'),
    )
    .join(separator)
    .trim();
}

export function scanQuotes(paragraphs: readonly string[]): QuoteScan {
  const people = new People();
  findPeople(paragraphs, people);
  const spans = paragraphs.map((text) => findSpans(text));
  const quotes: FoundQuote[] = [];
  const ignored: QuoteScan['ignored'] = [];
  const consumed = new Set<string>();
  const key = (paragraph: number, span: Span) => `${paragraph}:${span.start}`;
  let lastSpeaker: Person | undefined;

  // Multi-paragraph quotations: an unclosed quotation goes on in the next paragraph that opens with a mark.
  const candidates: Candidate[] = [];
  for (let p = 0; p < paragraphs.length; p += 1) {
    for (const span of spans[p]!) {
      if (consumed.has(key(p, span))) continue;
      const candidate: Candidate = { paragraph: p, parts: [{ paragraph: p, span }], closed: span.closed };
      let q = p;
      let current = span;
      while (!current.closed && q + 1 < paragraphs.length) {
        const next = spans[q + 1]![0];
        if (!next || next.start !== 0) break;
        q += 1;
        consumed.add(key(q, next));
        candidate.parts.push({ paragraph: q, span: next });
        current = next;
      }
      candidate.closed = current.closed;
      candidates.push(candidate);
    }
  }

  const resolve = (
    phrase: string,
    paragraph: number,
    offset: number,
  ): { speaker?: FoundQuote['speaker']; flag?: string } => {
    const parsed = parseSpeaker(phrase);
    switch (parsed.kind) {
      case 'name': {
        const parts = parsed.name.split(' ');
        if (parts.length >= 2) {
          if (!isPlausibleFullName(parsed.name) && !parsed.role) {
            return { flag: `speaker "${parsed.name}" does not look like a person's name` };
          }
          const person = people.add(parsed.name, paragraph, parsed.role, parsed.honorific);
          return { speaker: { person } };
        }
        const known = people
          .findBySurname(parsed.name)
          .filter((person) => person.firstParagraph <= paragraph);
        if (known.length === 1) return { speaker: { person: known[0]! } };
        if (known.length > 1)
          return { flag: `speaker "${parsed.name}" could be ${known.map((p) => p.name).join(' or ')}` };
        const org = people.organizations.find((o) => o.name === parsed.name);
        if (org) return { speaker: { organization: org } };
        if (parsed.role) {
          const person = people.add(parsed.name, paragraph, parsed.role, parsed.honorific);
          return { speaker: { person } };
        }
        return { flag: `speaker "${parsed.name}" is not introduced earlier in the story` };
      }
      case 'organization': {
        const organization = people.addOrganization(parsed.name, paragraph);
        return { speaker: { organization } };
      }
      case 'definite': {
        const noun = parsed.noun.toLowerCase();
        const orgs = people.organizations.filter(
          (o) => o.head.toLowerCase() === noun && o.firstParagraph <= paragraph,
        );
        if (orgs.length === 1) return { speaker: { organization: orgs[0]! } };
        const persons = people.people.filter(
          (person) =>
            person.firstParagraph <= paragraph && person.role?.toLowerCase().split(/\s+/).at(-1) === noun,
        );
        if (persons.length === 1) return { speaker: { person: persons[0]! } };
        return {
          flag: `speaker "the ${parsed.noun}" ${orgs.length + persons.length > 1 ? 'is ambiguous' : 'is not named earlier in the story'}`,
        };
      }
      case 'pronoun': {
        const text = paragraphs[paragraph]!;
        const here = mentionsIn(text.slice(0, offset), people);
        if (here.length === 1) return { speaker: { person: here[0]! } };
        if (here.length === 0) {
          for (let p = paragraph - 1; p >= 0; p -= 1) {
            const there = mentionsIn(paragraphs[p]!, people);
            if (there.length === 1) return { speaker: { person: there[0]! } };
            if (there.length > 1) {
              if (lastSpeaker && there.at(-1) === lastSpeaker && there.length === 1)
                return { speaker: { person: lastSpeaker } };
              break;
            }
          }
        }
        return { flag: `speaker "${parsed.pronoun}" could be more than one person` };
      }
      case 'anonymous':
        return { flag: `unnamed speaker "${parsed.text}"` };
      case 'unknown':
        return { flag: `speaker "${parsed.text}" is not a person or organization` };
    }
  };

  const taken = new Set<Candidate>();
  const sentenceSpeakers = new Map<string, NonNullable<FoundQuote['speaker']>>();
  for (const [index, candidate] of candidates.entries()) {
    if (taken.has(candidate)) continue;
    const first = candidate.parts[0]!;
    const last = candidate.parts.at(-1)!;
    const text = paragraphs[first.paragraph]!;
    const lastText = paragraphs[last.paragraph]!;
    const inner = candidate.parts.map((part) => innerText(paragraphs, part));
    const whole = inner.join(' ');
    const words = wordCount(whole);
    const lead = text.slice(Math.max(0, first.span.start - 40), first.span.start);
    const multi = candidate.parts.length > 1;

    let attribution: Attribution | undefined = candidate.closed
      ? attributionAfter(lastText, last.span, inner.at(-1)!)
      : undefined;
    let via: 'after' | 'before' | 'statement' = 'after';
    if (!attribution) {
      attribution = attributionBefore(text, first.span);
      via = 'before';
    }
    if (!attribution && first.span.start === 0 && first.paragraph > 0) {
      // "… issued the following statement today:" or "The following is a statement from …" just before.
      const previous = paragraphs[first.paragraph - 1]!;
      const intro =
        /^(.*?)\s+(?:issued|released|made|gave|sent|put out)\s+(?:the following|this)\s+(?:written\s+)?statement\b[^“”"]*:\s*$/i.exec(
          previous,
        ) ??
        /^The following is (?:a|the) (?:written\s+)?statement (?:from|by) (.+?)(?:\s+(?:regarding|on|about|in response to|after|following|concerning)\b.*)?\.?$/i.exec(
          previous,
        ) ??
        /^(.*?)\s+(?:said|says|wrote|writes|told(?:\s+[^\s:“”"]+){1,3}|added|explained|stated|declared)\s*:\s*$/i.exec(
          previous,
        );
      if (intro) {
        attribution = {
          phrase: intro[1]!.replace(/^.*[;—–]\s*/, '').replace(/^.*\s-\s/, ''),
          ...(/statement/i.test(intro[0]) ? { context: 'in a statement' } : {}),
        };
        via = 'statement';
      }
    }
    if (!candidate.closed && !(via === 'statement' && last.paragraph === paragraphs.length - 1)) {
      if (words >= 4)
        quotes.push({
          paragraph: first.paragraph,
          text: whole,
          flag: 'the closing quotation mark is missing',
        });
      continue;
    }
    if (words < 4 && !(attribution && via === 'after' && /[,.!?]$/.test(inner.at(-1)!))) {
      ignored.push({
        paragraph: first.paragraph,
        text: whole,
        reason: 'a short quoted phrase (scare quote or fragment), not a quotation',
      });
      continue;
    }
    if (!attribution && isTitleCase(whole)) {
      ignored.push({ paragraph: first.paragraph, text: whole, reason: 'a title, not a quotation' });
      continue;
    }
    if (SCARE_LEAD.test(lead) && !(attribution && via === 'after')) {
      ignored.push({
        paragraph: first.paragraph,
        text: whole,
        reason: 'a named or titled phrase, not a quotation',
      });
      continue;
    }
    const fragments = [...inner];
    // A split quotation: “…,” X said. “…” — the second part, with no attribution of its own, joins the first.
    if (attribution && via === 'after' && attribution.end !== undefined && !multi) {
      const end = attribution.end;
      const next = candidates
        .slice(index + 1)
        .find((other) => other.parts[0]!.paragraph !== last.paragraph || other.parts[0]!.span.start >= end);
      if (next && next.parts.length === 1 && next.parts[0]!.paragraph === last.paragraph && next.closed) {
        const gap = lastText.slice(attribution.end, next.parts[0]!.span.start);
        const nextInner = innerText(paragraphs, next.parts[0]!);
        const own = attributionAfter(lastText, next.parts[0]!.span, nextInner);
        const ended = /[.!?]\s*$/.test(lastText.slice(last.span.end, attribution.end));
        if (gap.trim() === '' && ended && !own) {
          fragments.push(nextInner);
          taken.add(next);
        }
      }
    }
    // The attribution of a split quote may come after its second part: “A,” X said. “B,” X added.
    const sentence = `${first.paragraph}:${sentenceStart(text, first.span.start)}`;
    if (!attribution && sentenceSpeakers.has(sentence)) {
      // "X said that “A” … “B”": a second quotation in the sentence of an attributed one is X's too.
      const earlier = sentenceSpeakers.get(sentence)!;
      quotes.push({ paragraph: first.paragraph, text: joinFragments(fragments, ' '), speaker: earlier });
      continue;
    }
    const offset = via === 'after' ? last.span.end : first.span.start;
    const { speaker, flag } = attribution
      ? resolve(attribution.phrase, via === 'after' ? last.paragraph : first.paragraph, offset)
      : { speaker: undefined, flag: 'no attribution found' };
    if (words < 4 && !speaker) {
      ignored.push({
        paragraph: first.paragraph,
        text: whole,
        reason: 'a short quoted phrase (scare quote or fragment), not a quotation',
      });
      continue;
    }
    const quoteText = multi ? joinFragments(fragments, '\n\n') : joinFragments(fragments, ' ');
    if (speaker && 'person' in speaker) lastSpeaker = speaker.person;
    if (speaker && via === 'before') sentenceSpeakers.set(sentence, speaker);
    quotes.push({
      paragraph: first.paragraph,
      text: quoteText,
      ...(speaker ? { speaker } : {}),
      ...(speaker && attribution?.context ? { context: attribution.context } : {}),
      ...(flag ? { flag } : {}),
    });
  }

  // A flagged quotation repeated inside an attributed one (a pull quote, a standfirst) is the same words.
  const normal = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  const attributed = quotes.filter((quote) => quote.speaker).map((quote) => normal(quote.text));
  const kept = quotes.filter((quote) => {
    if (quote.speaker) return true;
    const words = normal(quote.text);
    if (attributed.some((text) => text.includes(words))) {
      ignored.push({
        paragraph: quote.paragraph,
        text: quote.text,
        reason: 'repeats words quoted with their speaker elsewhere in the story',
      });
      return false;
    }
    return true;
  });
  return { quotes: kept, ignored, people };
}
