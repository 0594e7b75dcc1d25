import type { ArticleCard, PersonPage, QuoteCard } from './embed-data.ts';
import { embedUrls } from './embed-urls.ts';
import { safeHttpUrl } from './html.ts';

export interface Publisher {
  readonly publicUrl: string;
  readonly providerName: string;
}

type JsonLd = Record<string, unknown>;

function publisherOf(publisher: Publisher): JsonLd {
  return { '@type': 'Organization', name: publisher.providerName, url: publisher.publicUrl };
}

/** A person's page (`/people/:slug`), also their identifier in JSON-LD and oEmbed. */
export function personUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/people/${encodeURIComponent(slug)}`;
}

/** schema.org NewsArticle (https://schema.org/NewsArticle), as Google reads it for articles. */
export function articleJsonLd(card: ArticleCard, publisher: Publisher): JsonLd {
  const { article, image } = card;
  const imageUrl = safeHttpUrl(image?.url);
  return {
    '@context': 'https://schema.org',
    '@type': 'NewsArticle',
    headline: article.headline,
    ...(article.standfirst !== null && { description: article.standfirst }),
    url: card.url,
    mainEntityOfPage: { '@type': 'WebPage', '@id': card.url },
    ...(article.published_at !== null && { datePublished: article.published_at.toISOString() }),
    dateModified: article.updated_at.toISOString(),
    // No byline: the publication is the author (schema.org allows an Organization).
    author:
      card.authors.length > 0
        ? card.authors.map((person) => ({
            '@type': 'Person',
            name: person.name,
            url: personUrl(publisher.publicUrl, person.slug),
          }))
        : [publisherOf(publisher)],
    ...(imageUrl !== null && {
      image: [
        {
          '@type': 'ImageObject',
          url: imageUrl,
          ...(image!.width !== null && { width: image!.width }),
          ...(image!.height !== null && { height: image!.height }),
          ...(image!.caption !== null && { caption: image!.caption }),
          ...(image!.credit !== null && { creditText: image!.credit }),
        },
      ],
    }),
    publisher: publisherOf(publisher),
    ...(card.section !== null && { articleSection: card.section.name }),
    inLanguage: article.language,
    // https://schema.org/correction: each a CorrectionComment with its text and date.
    ...((article.corrections ?? []).length > 0 && {
      correction: (article.corrections ?? []).map((correction) => ({
        '@type': 'CorrectionComment',
        text: correction.text,
        datePublished: correction.at,
      })),
    }),
  };
}

/** schema.org Quotation (https://schema.org/Quotation): the words, who said them, the article they are from. */
export function quoteJsonLd(card: QuoteCard, publisher: Publisher): JsonLd {
  const speaker =
    card.speaker.kind === 'Organization'
      ? { '@type': 'Organization', name: card.speaker.name }
      : {
          '@type': 'Person',
          name: card.speaker.name,
          ...(card.speaker.personSlug !== null && {
            url: personUrl(publisher.publicUrl, card.speaker.personSlug),
          }),
        };
  return {
    '@context': 'https://schema.org',
    '@type': 'Quotation',
    text: card.quote.text,
    url: embedUrls.quotePage(publisher.publicUrl, card.quote.id),
    creator: speaker,
    // spokenByCharacter expects a Person (https://schema.org/spokenByCharacter).
    ...(card.speaker.kind !== 'Organization' && { spokenByCharacter: speaker }),
    ...(card.article.article.language && { inLanguage: card.article.article.language }),
    isPartOf: {
      '@type': 'NewsArticle',
      headline: card.article.article.headline,
      url: card.article.url,
      ...(card.article.article.published_at !== null && {
        datePublished: card.article.article.published_at.toISOString(),
      }),
    },
    publisher: publisherOf(publisher),
  };
}

/** schema.org Person (https://schema.org/Person) for a person page. */
export function personJsonLd(page: PersonPage, publisher: Publisher): JsonLd {
  const { person } = page;
  return {
    '@context': 'https://schema.org',
    '@type': 'Person',
    name: person.name,
    url: personUrl(publisher.publicUrl, person.slug),
    ...(person.honorific !== null && { honorificPrefix: person.honorific }),
    ...(person.description !== null && { description: person.description }),
    ...(person.aliases.length > 0 && { alternateName: person.aliases }),
    mainEntityOfPage: { '@type': 'ProfilePage', '@id': personUrl(publisher.publicUrl, person.slug) },
  };
}
