import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';

describeEachEngine('the reference article', (engine) => {
  const gateway = useGateway(engine, { demo: true });

  it('comes back with its headline, section, date, lead image and canonical URL', async () => {
    const { body } = await gateway.graphql(
      `query ($slug: String!) { article(slug: $slug) { headline url status publishedAt language section { name slug }
        leadImage { caption credit width height } standfirst authors { name } } }`,
      { variables: { slug: SLUG } },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.article).toEqual({
      headline: 'Russia-North Korea Pact Major Loss For US Allies in Region',
      url: `${TEST_PUBLIC_URL}/articles/${SLUG}`,
      status: 'PUBLISHED',
      publishedAt: '2024-06-22T00:00:00.000Z',
      language: 'en',
      section: { name: 'Analysis', slug: 'analysis' },
      leadImage: {
        caption: "Russian President Vladimir Putin's visit to North Korea. June 19, 2024.",
        credit: '© POOL',
        width: 1920,
        height: 1080,
      },
      standfirst: null,
      authors: [],
    });
  });

  it('serves every quote with its speaker and context, one quote per split attribution', async () => {
    const { body } = await gateway.graphql(
      `query ($slug: String!) { article(slug: $slug) { quotes { text speakerName context position
        speaker { __typename ... on Person { slug honorific } ... on Organization { slug } } } } }`,
      { variables: { slug: SLUG } },
    );
    const quotes = body.data!.article.quotes as {
      text: string;
      speakerName: string;
      context: string | null;
      speaker: { __typename: string; slug: string };
    }[];
    expect(quotes).toHaveLength(7);
    expect(quotes.map((q) => q.speaker.slug)).toEqual([
      'gerald-horne',
      'south-korean-foreign-ministry',
      'gerald-horne',
      'gerald-horne',
      'wilmer-leon',
      'gerald-horne',
      'gerald-horne',
    ]);
    expect(quotes[0]).toMatchObject({
      speakerName: 'Gerald Horne',
      context: 'on Sputnik’s The Critical Hour',
    });
    expect(quotes[0]!.text).toMatch(
      /^Recall that Japan .*Kuril Islands\. You see that Japan is staggered .*in the form of Moscow\.$/,
    );
    expect(quotes[1]).toMatchObject({
      speakerName: 'South Korean Foreign Ministry',
      context: 'in a statement',
      speaker: { __typename: 'Organization' },
    });
    expect(quotes[4]!.text).toContain('all the negative press Trump got from the West');
    expect(quotes[4]!.text).toContain('It just makes me wonder');
    expect(quotes[6]!.text).toContain('Now we see the validation of that particular thesis');
  });

  it('names its people with their roles', async () => {
    const { body } = await gateway.graphql(
      `query ($slug: String!) { article(slug: $slug) { mentions { role person { name honorific description } } } }`,
      { variables: { slug: SLUG } },
    );
    const mentions = body.data!.article.mentions as {
      role: string;
      person: { name: string; honorific: string };
    }[];
    const byName = new Map(mentions.map((m) => [m.person.name, m]));
    expect(byName.get('Gerald Horne')).toMatchObject({
      role: 'historian and author',
      person: { honorific: 'Dr.' },
    });
    expect(byName.get('Wilmer Leon')?.role).toBe('co-host of The Critical Hour');
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['Vladimir Putin', 'Donald Trump', 'Kim Jong Un']),
    );
  });

  it('keeps every paragraph in order, the two Military cards in place, and none of the page chrome', async () => {
    const { body } = await gateway.graphql(
      `query ($slug: String!) { article(slug: $slug) { wordCount body { __typename
        ... on ParagraphBlock { text quotes { speakerName } }
        ... on RelatedLinkBlock { link { title label url image { caption } target { slug headline } } } } } }`,
      { variables: { slug: SLUG } },
    );
    const blocks = body.data!.article.body as { __typename: string; text?: string; link?: any }[];
    const paragraphs = blocks.filter((b) => b.__typename === 'ParagraphBlock').map((b) => b.text!);
    expect(paragraphs).toHaveLength(13);
    expect(paragraphs[0]).toMatch(/^The allies of the United States in Asia/);
    expect(paragraphs.at(-1)).toMatch(/^“It is also a failure of the entire Cold War era/);
    const text = paragraphs.join('\n');
    for (const chrome of [
      'Subscribe',
      'Newsfeed',
      'log in or register',
      'Chats',
      'Sputnik International, 1920',
      'mediabank',
    ]) {
      expect(text).not.toContain(chrome);
    }
    const cards = blocks.filter((b) => b.__typename === 'RelatedLinkBlock').map((b) => b.link);
    expect(cards.map((c) => c.title)).toEqual([
      "Understanding North Korea's Modest Nuclear Stockpile and Conditions for Use",
      'US Aircraft Carrier Docks in South Korea Amid Deepening Russia-North Korea Ties',
    ]);
    for (const card of cards) {
      expect(card.label).toBe('Military');
      expect(card.target.headline).toBe(card.title);
      expect(card.url).toBe(`${TEST_PUBLIC_URL}/articles/${card.target.slug}`);
      expect(card.image.caption).toBeTruthy();
    }
    expect(blocks.findIndex((b) => b.__typename === 'RelatedLinkBlock')).toBe(2);
    expect(body.data!.article.wordCount).toBeGreaterThan(500);
  });
});
