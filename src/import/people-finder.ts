/**
 * People and organizations named in a story, with the role the text gives them ("historian and
 * author Dr. Gerald Horne", "Petro Yatsenko, spokesman for …"). A capitalized pair alone is not
 * a person: a name counts only with evidence (a role before it, an honorific, an appositive role,
 * ", who", or an attribution verb), so places and programmes are not mistaken for people.
 */

export const ROLE_NOUNS = new Set(
  `president vice-president president-elect leader minister secretary director spokesman spokeswoman spokesperson
  chairman chairwoman chair chief official ambassador envoy senator representative governor mayor general admiral
  commander colonel captain lieutenant sergeant historian author professor analyst expert researcher scientist economist
  host co-host anchor correspondent reporter editor founder co-founder ceo administrator lawyer attorney judge justice
  king queen prince princess pope activist writer journalist adviser advisor aide deputy head manager executive officer
  candidate lawmaker speaker diplomat teacher doctor nurse pastor premier chancellor counsel coach commissioner
  superintendent inspector prosecutor chairperson director-general secretary-general president-general lady
  producer columnist commentator strategist fellow scholar student resident owner farmer worker physician surgeon
  engineer astronaut pilot sheriff officer-in-charge rapporteur representative-elect congressman congresswoman
  councillor councilor dean rector provost economist epidemiologist historian-author
  gen lt col maj capt sgt adm sen rep gov amb cmdr brig cpl pvt spc supt det`
    .split(/\s+/)
    .filter(Boolean),
);

export const HONORIFICS = new Set([
  'Dr.',
  'Dr',
  'Prof.',
  'Sir',
  'Dame',
  'Rev.',
  'Mr.',
  'Mrs.',
  'Ms.',
  'Mr',
  'Mrs',
  'Ms',
]);
/** Honorifics worth keeping on the person record; courtesy titles are not. */
const KEPT_HONORIFICS = new Set(['Dr.', 'Prof.', 'Sir', 'Dame', 'Rev.']);

const ORG_NOUNS =
  /^(Ministry|Department|Agency|Commission|Committee|Council|Office|Bureau|Institute|University|Foundation|Association|Union|Party|Police|Army|Navy|Court|Parliament|Senate|Company|Corporation|Bank|Fund|Organization|Organisation|Centre|Center|Network|Federation|League|Authority|Board|Service|Administration|Embassy|Secretariat|Tribunal|Cabinet)$/;

const ORG_NOUN_ANYWHERE = new RegExp(`\\b(${ORG_NOUNS.source.slice(2, -2)})\\b`);

const NAME_TOKEN =
  /^(?:\p{Lu}\p{Ll}+(?:[-'’]\p{Lu}?\p{Ll}+)*|\p{Lu}\.|\p{Lu}\p{Ll}*['’]\p{Lu}\p{Ll}+|Ma?c\p{Lu}\p{Ll}+|Jr\.?|Sr\.?|II|III|IV)$/u;
const PARTICLES = new Set([
  'al',
  'el',
  'bin',
  'ibn',
  'de',
  'da',
  'di',
  'van',
  'von',
  'der',
  'del',
  'la',
  'le',
  'du',
  'dos',
  'ter',
]);
const SUFFIXES = /^(Jr\.?|Sr\.?|II|III|IV)$/;
/** Capitalized words that start sentences or name times and places, never a person's first name. */
const NOT_FIRST_NAMES = new Set(
  `The A An In On At For But And Of If When While After Before Since This That These Those It He She They We I You His
  Her Their Our Its Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
  August September October November December North South East West New United Republic Democratic People Kingdom
  State States National International Federal Royal Supreme Chinese Russian American British French German Japanese
  Korean Iranian Ukrainian Israeli Palestinian European African Asian Western Eastern Northern Southern US U.S. UN
  Today Yesterday Tomorrow Last Next Meanwhile However Still Also Then There Here Now According Despite During Under
  Over Through From With Without Among Between Mr Mrs Ms Dr Prof President Secretary Minister General Director Senator
  Governor Mayor Ambassador Speaker Judge Justice Chief Prime King Queen Prince Pope Lady First Former Acting Deputy
  Vice Executive Associate Assistant Senior Special Staff Sergeant Captain Colonel Lieutenant Admiral Commander Sheriff
  Rep Sen Gen Gov Adm Col Lt Capt Sgt Voice Radio Press Breaking Video Audio Read Watch Listen Share Subscribe Follow
  Military Analysis Opinion World Politics Business Science Health Sports Culture Comment Editorial Related Photo Image
  Hurricane Storm Operation Project Program Programme Act Bill Law Treaty Summit Conference Forum Day Week Month Year
  Christmas Easter God Jesus Allah Islam Christian Muslim Jewish Catholic Protestant`.split(/\s+/),
);

/** Words that end a role phrase when read backwards from a name. */
const FUNCTION_WORDS = new Set(
  `the a an by with of to from for and or but in on at as into onto over under about after before said says told
  added noted explained stated wrote asked replied answered continued concluded insisted argued warned declared
  announced acknowledged admitted recalled remarked observed pondered commented suggested stressed claimed
  confirmed is was are were be been has have had will would can could may might must should that which who whom
  whose this these those than then when while where because if so not no also only even just`.split(/\s+/),
);

export interface Person {
  readonly slug: string;
  readonly name: string;
  honorific?: string | undefined;
  role?: string | undefined;
  /** Where the person is first named: paragraph index. */
  readonly firstParagraph: number;
  readonly surname: string;
}

export interface Organization {
  readonly slug: string;
  readonly name: string;
  readonly head: string;
  readonly firstParagraph: number;
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/g, '');
}

export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /[\p{L}\p{N}][\p{L}\p{N}.'’&-]*[\p{L}\p{N}.]|[\p{L}\p{N}]|[^\s\p{L}\p{N}]/gu;
  for (const match of text.matchAll(pattern)) {
    let value = match[0];
    let end = match.index + value.length;
    // A sentence-final period belongs to the sentence, not the word, unless the word is an initial
    // or a known abbreviation.
    if (
      value.endsWith('.') &&
      !/^([A-Z]|[A-Z]\.[A-Z]|U\.S|U\.K|Dr|Mr|Mrs|Ms|Prof|Rev|Jr|Sr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Adm|Amb|No)\.$/.test(
        value,
      ) &&
      !/^([A-Z]\.)+$/.test(value)
    ) {
      value = value.slice(0, -1);
      end -= 1;
      tokens.push({ text: value, start: match.index, end });
      tokens.push({ text: '.', start: end, end: end + 1 });
      continue;
    }
    tokens.push({ text: value, start: match.index, end });
  }
  return tokens;
}

function stripPossessive(token: string): string {
  return token.replace(/['’]s$/, '');
}

function isNameToken(token: string): boolean {
  return NAME_TOKEN.test(stripPossessive(token));
}

export function isRoleWord(token: string): boolean {
  return ROLE_NOUNS.has(token.toLowerCase().replace(/\.$/, ''));
}

/** The name starting at tokens[i]: 1–4 name tokens (particles and initials inside), possessive stripped. */
export function readName(
  tokens: readonly Token[],
  i: number,
): { name: string; next: number; possessive: boolean } | undefined {
  const parts: string[] = [];
  let j = i;
  let possessive = false;
  while (j < tokens.length && parts.length < 5) {
    const token = tokens[j]!.text;
    if (isNameToken(token) && !isRoleWord(token)) {
      parts.push(stripPossessive(token));
      j += 1;
      if (/['’]s$/.test(token)) {
        possessive = true;
        break;
      }
      continue;
    }
    if (
      parts.length > 0 &&
      PARTICLES.has(token.split('-')[0]!) &&
      j + 1 < tokens.length &&
      isNameToken(tokens[j + 1]!.text)
    ) {
      parts.push(token);
      j += 1;
      continue;
    }
    break;
  }
  while (parts.length > 0 && /^[A-Z]\.$/.test(parts.at(-1)!)) {
    parts.pop();
    j -= 1;
  }
  if (parts.length === 0 || /^[A-Z]\.$/.test(parts[0]!)) return undefined;
  return { name: parts.join(' ').replace(/\s+-/g, '-'), next: j, possessive };
}

export function surnameOf(name: string): string {
  const parts = name.split(' ').filter((part) => !SUFFIXES.test(part));
  return parts.at(-1) ?? name;
}

/** The role phrase that ends right before tokens[end] ("historian and author", "Voice of America Director"). */
export function roleBefore(text: string, tokens: readonly Token[], end: number): string | undefined {
  let start = end;
  let sawRole = false;
  for (let j = end - 1; j >= 0; j -= 1) {
    const token = tokens[j]!.text;
    const lower = token.toLowerCase();
    if (isRoleWord(token)) {
      sawRole = true;
      start = j;
      continue;
    }
    if (!sawRole) {
      // "Secretary of Defense Lloyd Austin": a role noun, "of", then a capitalized complement.
      if (
        /^\p{Lu}/u.test(token) &&
        j >= 2 &&
        tokens[j - 1]!.text === 'of' &&
        isRoleWord(tokens[j - 2]!.text)
      ) {
        sawRole = true;
        start = j - 2;
        j -= 2;
        continue;
      }
      break;
    }
    if (
      (lower === 'and' || lower === 'of' || lower === 'for') &&
      j > 0 &&
      (isRoleWord(tokens[j - 1]!.text) || /^\p{Lu}/u.test(tokens[j - 1]!.text))
    ) {
      // "historian and author", "Secretary of Defense", "Voice of America Director"
      if (lower === 'of' || lower === 'for' || isRoleWord(tokens[j - 1]!.text)) {
        start = j;
        continue;
      }
      break;
    }
    if (
      /^(former|then|acting|deputy|senior|chief|top|longtime|veteran|assistant|associate|interim|outgoing|incoming|retired|first|vice|executive|national|security|foreign|defense|defence|state|prime|general|presidential|special|cabinet|staff|press|public|communications|health|news)$/.test(
        lower,
      )
    ) {
      start = j;
      continue;
    }
    if (/^[\p{Lu}\d]/u.test(token) && !/^[.,;:!?"“”'‘’()–—-]$/.test(token)) {
      // Capitalized modifiers: "Russian President", "The Critical Hour co-host", "U.S. Ambassador"
      if (j === 0 || !/^(The|A|An)$/.test(token) || /^[\p{Lu}]/u.test(tokens[j + 1]?.text ?? '')) {
        if (
          (token === 'The' || token === 'A' || token === 'An') &&
          j > 0 &&
          /[.!?]/.test(tokens[j - 1]!.text)
        )
          break;
        start = j;
        continue;
      }
    }
    if (
      /^[a-z][a-z-]+$/.test(token) &&
      !FUNCTION_WORDS.has(lower) &&
      !/(ed|ing)$/.test(lower) &&
      start - j <= 3 &&
      (isRoleWord(tokens[j + 1]?.text ?? '') || start === j + 1)
    ) {
      // Lowercase modifiers of the role noun: "harbor commissioner", "national security correspondent"
      start = j;
      continue;
    }
    if (
      /^(thirty|forty|fifty|sixty|twenty|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|[a-z]+-(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))$/i.test(
        lower,
      ) ||
      /^[a-z]+-[a-z]+$/.test(lower)
    ) {
      start = j;
      continue;
    }
    break;
  }
  if (!sawRole) return undefined;
  // Trim back to the last role word's phrase start; drop a leading "The" at sentence start.
  let phrase = text.slice(tokens[start]!.start, tokens[end - 1]!.end).trim();
  phrase = phrase.replace(/^(and|of|for)\s+/i, '');
  return phrase.length > 0 && phrase.length <= 200 ? phrase : undefined;
}

/** "Name, spokesman for …," / "Name, a historian at …,": the role an appositive gives. */
export function appositiveRole(text: string, afterName: number): string | undefined {
  const match = /^,\s+((?:(?:the|a|an)\s+)?[^,.;:“”"()]{2,160}?)(?=,|\.(?:\s|$)|;|$)/.exec(
    text.slice(afterName),
  );
  if (!match) return undefined;
  const phrase = match[1]!.replace(/\s+(who|which|that|whose|where)\b.*$/i, '').trim();
  if (/^(who|which|that|where|when|said|says|told|and|but|or)\b/i.test(phrase)) return undefined;
  const words = phrase.split(/\s+/);
  const roleIndex = words.findIndex((word) => isRoleWord(word.replace(/[^\p{L}-]/gu, '')));
  if (roleIndex < 0 || roleIndex > 4) return undefined;
  return phrase.replace(/^(the|a|an)\s+/i, '');
}

export function honorificOf(token: string | undefined): string | undefined {
  if (!token || !HONORIFICS.has(token)) return undefined;
  const normalized = token.endsWith('.') || token === 'Sir' || token === 'Dame' ? token : `${token}.`;
  return KEPT_HONORIFICS.has(normalized) ? normalized : undefined;
}

export function isPlausibleFullName(name: string): boolean {
  const parts = name.split(' ');
  if (parts.length < 2 || parts.length > 5) return false;
  if (NOT_FIRST_NAMES.has(parts[0]!)) return false;
  if (parts.some((part) => /^[A-Z]{2,}$/.test(part))) return false;
  return !ORG_NOUNS.test(parts.at(-1)!);
}

export function isOrgNoun(word: string): boolean {
  return ORG_NOUNS.test(word);
}

/** The People registry of one story. */
export class People {
  readonly people: Person[] = [];
  readonly organizations: Organization[] = [];

  findByName(name: string): Person | undefined {
    const lower = name.toLowerCase();
    return this.people.find((person) => person.name.toLowerCase() === lower);
  }

  /** People whose surname (or whole single-word name) is `surname`. */
  findBySurname(surname: string): Person[] {
    return this.people.filter((person) => person.surname === surname || person.name === surname);
  }

  add(name: string, paragraph: number, role?: string, honorific?: string): Person {
    const existing = this.findByName(name) ?? (name.includes(' ') ? undefined : this.findBySurname(name)[0]);
    if (existing) {
      existing.role ??= role;
      existing.honorific ??= honorific;
      return existing;
    }
    // A fuller name for someone first seen by surname: keep the fuller one.
    const partial = this.people.find(
      (person) => !person.name.includes(' ') && surnameOf(name) === person.name,
    );
    if (partial) {
      this.people.splice(this.people.indexOf(partial), 1);
    }
    let slug = slugify(name) || 'person';
    for (let n = 2; this.people.some((person) => person.slug === slug); n += 1)
      slug = `${slugify(name)}-${n}`;
    const person: Person = {
      slug,
      name,
      firstParagraph: partial?.firstParagraph ?? paragraph,
      surname: surnameOf(name),
      ...(role ? { role } : {}),
      ...(honorific ? { honorific } : {}),
    };
    if (partial?.role && !person.role) person.role = partial.role;
    this.people.push(person);
    return person;
  }

  addOrganization(name: string, paragraph: number): Organization {
    const existing = this.organizations.find((org) => org.name.toLowerCase() === name.toLowerCase());
    if (existing) return existing;
    const org: Organization = {
      slug: slugify(name) || 'organization',
      name,
      head: name.split(' ').at(-1)!,
      firstParagraph: paragraph,
    };
    this.organizations.push(org);
    return org;
  }
}

/** Organizations named in a paragraph: a capitalized run ending in an organization noun. */
export function findOrganizations(text: string): { name: string; start: number }[] {
  const found: { name: string; start: number }[] = [];
  if (!ORG_NOUN_ANYWHERE.test(text)) return found;
  const words = [...text.matchAll(/[\p{L}][\p{L}'’.&-]*/gu)];
  for (const [index, word] of words.entries()) {
    if (!ORG_NOUNS.test(word[0])) continue;
    let first = index;
    for (let j = index - 1; j >= 0; j -= 1) {
      const candidate = words[j]![0];
      const gap = text.slice(words[j]!.index + candidate.length, words[j + 1]!.index);
      if (!/^\s+$/.test(gap)) break;
      if (
        /^\p{Lu}/u.test(candidate) &&
        !/^(The|A|An|On|In|At|By|For|From|With|Both|After|Before|Late|Early|Last|This|That)$/.test(candidate)
      ) {
        first = j;
        continue;
      }
      if (
        /^(of|for|and|on)$/.test(candidate) &&
        j > 0 &&
        /^\p{Lu}/u.test(words[j - 1]![0]) &&
        first === j + 1
      ) {
        first = j;
        continue;
      }
      break;
    }
    while (first < index && /^(of|for|and|on)$/.test(words[first]![0])) first += 1;
    if (first === index) continue;
    const start = words[first]!.index;
    const name = text.slice(start, word.index + word[0].length).replace(/['’]s\b/g, (m) => m);
    if (/['’]s\s/.test(name)) continue;
    found.push({ name: name.replace(/\s+/g, ' '), start });
  }
  return found;
}
