import { performance } from 'node:perf_hooks';
import { sleep } from './waiting.ts';

/**
 * A bounded request loop on the demo content, as readers would send it while a fault happens:
 * uncached POSTs and cached anonymous GETs of the reference article page and of a search, and the
 * draft asked for by slug. It records every answer and checks every body; it stops by itself at a
 * deadline or a request count.
 */

export const REFERENCE_SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';
export const REFERENCE_HEADLINE = 'Russia-North Korea Pact Major Loss For US Allies in Region';
export const DRAFT_SLUG = 'draft-seoul-weighs-new-sanctions';
/** Published with a date in the future: nobody without the preview right may see it. */
export const EMBARGOED_SLUG = 'after-the-pact-where-the-korean-peninsula-goes-next';
/** Every demo article, the draft and the embargoed one included, names Vladimir Putin. */
export const SEARCH_TEXT = 'Putin';

const ARTICLE_QUERY = `query ArticlePage($slug: String!) { article(slug: $slug) { slug headline standfirst
  section { slug } tags { slug } authors { name } quotes { text speakerName } } }`;
const SEARCH_QUERY = `query Search($q: String!) { search(query: $q, first: 20) { totalCount
  edges { node { slug headline } } } }`;

export type RequestKind = 'post-article' | 'get-article' | 'post-search' | 'get-search' | 'get-draft';
const KINDS: readonly RequestKind[] = [
  'post-article',
  'get-article',
  'post-search',
  'get-search',
  'get-draft',
];

export interface Answer {
  readonly kind: RequestKind;
  /** performance.now() when the request was sent and when its answer (or failure) was complete. */
  readonly started: number;
  readonly ended: number;
  /** HTTP status, or `timeout` (no answer within the request timeout), or `error` (connection failed). */
  readonly status: number | 'timeout' | 'error';
  readonly retryAfter: string | null;
  /** `errors[0].extensions.code` when the body has errors. */
  readonly code: string | undefined;
  /** `x-cache` (HIT or MISS) on cached GETs. */
  readonly cache: string | null;
  /** Why the body is wrong for a 200 (stale headline, a draft, an error), or the failure's message. */
  readonly problem: string | undefined;
  /** The whole body, when the loop keeps them (`keepBodies`). */
  readonly text?: string;
}

export interface LoadLoopOptions {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly concurrency?: number;
  /** The loop stops by itself this long after it starts. */
  readonly durationMs: number;
  readonly maxRequests?: number;
  /** A request with no complete answer by then counts as `timeout`. */
  readonly requestTimeoutMs?: number;
  /** What the reference article's headline must be. */
  readonly headline?: string;
  /** Slugs the search must find, in order (from a calm run); unchecked when absent. */
  readonly searchSlugs?: readonly string[] | undefined;
  /** Keep every answer's body in `text`, for tests that look for what must not be there. */
  readonly keepBodies?: boolean;
}

export interface LoadLoop {
  /** Every answer so far, in completion order. */
  readonly answers: readonly Answer[];
  /** Ends the loop early; requests in flight are awaited. */
  stop(): void;
  /** Resolves with every answer once the loop has stopped. */
  readonly done: Promise<readonly Answer[]>;
}

function request(origin: string, kind: RequestKind): { url: string; init: RequestInit } {
  const [query, variables] = kind.endsWith('search')
    ? [SEARCH_QUERY, { q: SEARCH_TEXT }]
    : [ARTICLE_QUERY, { slug: kind === 'get-draft' ? DRAFT_SLUG : REFERENCE_SLUG }];
  if (kind.startsWith('get')) {
    const search = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    // Apollo's CSRF rule lets a GET through with this header (a browser cannot send it cross-origin).
    return { url: `${origin}/graphql?${search}`, init: { headers: { 'apollo-require-preflight': 'true' } } };
  }
  return {
    url: `${origin}/graphql`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    },
  };
}

type Body = { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] };

function checkBody(kind: RequestKind, body: Body, options: LoadLoopOptions): string | undefined {
  if (body.errors?.length) return `errors: ${JSON.stringify(body.errors).slice(0, 200)}`;
  if (kind === 'get-draft') {
    return body.data?.['article'] === null
      ? undefined
      : `the draft was answered: ${JSON.stringify(body.data)}`;
  }
  if (kind.endsWith('article')) {
    const headline = body.data?.['article']?.headline;
    const expected = options.headline ?? REFERENCE_HEADLINE;
    return headline === expected ? undefined : `headline ${JSON.stringify(headline)}, expected ${expected}`;
  }
  const slugs = ((body.data?.['search']?.edges ?? []) as { node: { slug: string } }[]).map(
    (edge) => edge.node.slug,
  );
  if (slugs.includes(DRAFT_SLUG) || slugs.includes(EMBARGOED_SLUG)) return `search found ${slugs.join(', ')}`;
  if (slugs.length === 0) return 'search found nothing';
  if (options.searchSlugs && slugs.join() !== options.searchSlugs.join()) {
    return `search found ${slugs.join(', ')}, expected ${options.searchSlugs.join(', ')}`;
  }
  return undefined;
}

/** A failure's body names no internals: no driver error, address, database, stack or SQL. */
function leak(text: string): string | undefined {
  const found = /ECONN\w+|127\.0\.0\.1|postgres|\bpg\b|stack|terminat|select |\bat \w+ \(/i.exec(text);
  return found ? `the 503 body names ${JSON.stringify(found[0])}: ${text.slice(0, 200)}` : undefined;
}

/** Sends one request of the given kind and records its answer. */
export async function ask(kind: RequestKind, options: LoadLoopOptions): Promise<Answer> {
  const { url, init } = request(options.origin, kind);
  const started = performance.now();
  try {
    const response = await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: Body | undefined;
    try {
      body = JSON.parse(text) as Body;
    } catch {
      body = undefined;
    }
    const ended = performance.now();
    return {
      kind,
      started,
      ended,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      code: body?.errors?.[0]?.extensions?.code,
      cache: response.headers.get('x-cache'),
      ...(options.keepBodies && { text }),
      problem:
        body === undefined
          ? `not JSON: ${text.slice(0, 100)}`
          : response.status === 200
            ? checkBody(kind, body, options)
            : response.status === 503
              ? leak(text)
              : `${response.status}: ${text.slice(0, 200)}`,
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind,
      started,
      ended: performance.now(),
      status: timedOut ? 'timeout' : 'error',
      retryAfter: null,
      code: undefined,
      cache: null,
      problem: `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`,
    };
  }
}

/** Starts `concurrency` (default 8) workers cycling through the request kinds. */
export function startLoadLoop(options: LoadLoopOptions): LoadLoop {
  const answers: Answer[] = [];
  const deadline = performance.now() + options.durationMs;
  const maxRequests = options.maxRequests ?? 100_000;
  let sent = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && performance.now() < deadline && sent < maxRequests) {
      const kind = KINDS[sent++ % KINDS.length]!;
      const answer = await ask(kind, options);
      answers.push(answer);
      // A failing server answers at once; a short pause keeps the loop from spinning on it.
      if (answer.status !== 200) await sleep(20);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker)).then(() => answers);
  return {
    answers,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** A failure as promised: 503, Retry-After in whole seconds, SERVICE_UNAVAILABLE in the JSON body. */
export function isProperUnavailable(answer: Answer): boolean {
  return (
    answer.status === 503 &&
    /^[1-9]\d*$/.test(answer.retryAfter ?? '') &&
    answer.code === 'SERVICE_UNAVAILABLE' &&
    answer.problem === undefined
  );
}

export function isGood(answer: Answer): boolean {
  return answer.status === 200 && answer.problem === undefined;
}

/** Answers that are neither right nor a proper 503: a 500, a hang, a dropped connection, a stale body. */
export function improperAnswers(answers: readonly Answer[]): Answer[] {
  return answers.filter((answer) => !isGood(answer) && !isProperUnavailable(answer));
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const latencies = (answers: readonly Answer[]) =>
  answers.map((answer) => answer.ended - answer.started);

/**
 * Milliseconds from `upAt` (the dependency answering again) to the first good answer after which
 * no request sent later failed; undefined when the loop never got there.
 */
export function recoveryMs(answers: readonly Answer[], upAt: number): number | undefined {
  const lastFailure = answers
    .filter((answer) => !isGood(answer) && answer.started >= upAt)
    .reduce((last, answer) => Math.max(last, answer.ended), upAt);
  const firstGood = answers
    .filter((answer) => isGood(answer) && answer.ended >= lastFailure)
    .reduce((first, answer) => Math.min(first, answer.ended), Number.POSITIVE_INFINITY);
  return Number.isFinite(firstGood) ? Math.max(0, firstGood - upAt) : undefined;
}

/** One line for the log: how many answers, how many 503, latency. */
export function summarize(answers: readonly Answer[]): {
  total: number;
  good: number;
  unavailable: number;
  improper: number;
  unavailableShare: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
} {
  const times = latencies(answers);
  const unavailable = answers.filter(isProperUnavailable).length;
  return {
    total: answers.length,
    good: answers.filter(isGood).length,
    unavailable,
    improper: improperAnswers(answers).length,
    unavailableShare: answers.length === 0 ? 0 : unavailable / answers.length,
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    maxMs: times.reduce((max, time) => Math.max(max, time), 0),
  };
}

/** A few improper answers, for an assertion message. */
export function describeAnswers(answers: readonly Answer[], limit = 5): string {
  return answers
    .slice(0, limit)
    .map(
      (answer) =>
        `${answer.kind} ${answer.status} retry-after=${answer.retryAfter} code=${answer.code} ${Math.round(answer.ended - answer.started)} ms ${answer.problem ?? ''}`,
    )
    .join('\n');
}
