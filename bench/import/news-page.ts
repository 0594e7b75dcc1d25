/**
 * Invented news pages for the importer's tests and benchmark: a fictional outlet quoting fictional
 * people (never real people's words). `newsPage` is a typical ~10 KB article page with the chrome,
 * metadata and markup real sites carry.
 */
export interface NewsPageOptions {
  /** Leave out the JSON-LD block (metadata then comes from OpenGraph and meta tags). */
  readonly jsonLd?: boolean;
  /** Paragraphs of filler between the quoted ones, to reach a typical page size. */
  readonly filler?: number;
  readonly charsetMeta?: string;
}

export function newsPage(options: NewsPageOptions = {}): string {
  const jsonLd = options.jsonLd ?? true;
  const filler = Array.from(
    { length: options.filler ?? 6 },
    (_, n) =>
      `<p>The harbor board's minutes for session ${n + 1} list the tidal gauges, the dredging schedule and the cost of the new pilings, which rose by a fifth over the winter as steel prices climbed across the region.</p>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="${options.charsetMeta ?? 'utf-8'}">
<title>Harbor Board Delays Vote on Seawall | The Harbor Ledger</title>
<link rel="canonical" href="https://ledger.example/news/harbor-board-delays-seawall-vote">
<meta name="description" content="Meta description: the board put off its seawall vote.">
<meta property="og:title" content="Harbor Board Delays Vote on Seawall (OG)">
<meta property="og:description" content="The board put off its vote after a long night of testimony.">
<meta property="og:image" content="https://ledger.example/img/seawall.jpg">
<meta property="article:published_time" content="2026-03-04T18:30:00Z">
<meta property="article:section" content="Local">
<meta property="article:tag" content="Harbor">
<meta property="article:tag" content="Infrastructure">
${
  jsonLd
    ? `<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Harbor Board Delays Vote on Seawall","datePublished":"2026-03-04T18:30:00Z","dateModified":"2026-03-05T09:00:00Z","author":[{"@type":"Person","name":"Ines Galloway"}],"articleSection":"Local News","keywords":"Harbor, Seawall, Port Alder","description":"The board put off its vote after a long night of testimony.","image":{"@type":"ImageObject","url":"https://ledger.example/img/seawall-ld.jpg"},"inLanguage":"en-US"}</script>`
    : ''
}
<script>window.tracker = function () { document.cookie = 'x=1'; };</script>
<style>.nav { color: red }</style>
</head>
<body onload="tracker()">
<header class="site-header"><nav><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/sports">Sports</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<div class="share-bar"><a href="https://share.example/?u=1">Share</a> <a href="javascript:alert(1)">Tweet</a></div>
<main>
<article class="story">
<h1>Harbor Board Delays Vote on Seawall</h1>
<p class="byline">By Ines Galloway</p>
<figure><img src="https://ledger.example/img/pilings.jpg" alt="Pilings at low tide" width="1200" height="800" onerror="alert(2)"><figcaption>Pilings at low tide in Port Alder.</figcaption></figure>
<p>PORT ALDER — The Port Alder harbor board put off its vote on the <a href="https://ledger.example/topics/seawall">proposed seawall</a> on Tuesday after <em>four hours</em> of public testimony, the second delay this year.</p>
<p>“We are not going to rush a forty-year decision into a single evening,” said harbor commissioner Marta Quillfeather, who chairs the board. “The engineers owe us one more set of numbers.”</p>
<p onclick="alert(3)">Residents of the Lower Quay filled the hall. "The water is in our basements every spring tide," said Tobias Renwick, a retired ferry pilot who has lived on the quay since 1988. "We have waited long enough."</p>
${filler}
<p>Quillfeather said the board would meet again in April. “If the numbers hold, I expect a vote then,” she said.</p>
<p>The engineers' report due in April is to answer three questions:</p>
<ul>
<li>how high the <strong>spring tides</strong> will run by 2060;</li>
<li>whether the promenade can stay open while the wall is built; and</li>
<li>what the <a href="https://ledger.example/docs/seawall-costs">revised cost estimate</a> means for <em>harbor fees</em>.</li>
</ul>
<p>The Port Alder Planning Department said in a statement that “the revised design keeps the promenade open to the public for its whole length.”</p>
<p>Some residents called the plan a “wall against the sea” and others a “wall against the town.”</p>
<p>Related: <a href="https://ledger.example/news/ferry-schedule-cut">Ferry schedule cut for the winter</a></p>
<script>alert('inline')</script>
<p>Ines Galloway covers the harbor for the Ledger. Reach her at <a href="mailto:ines@ledger.example">ines@ledger.example</a>.</p>
</article>
</main>
<aside class="most-read"><h2>Most read</h2><ul><li><a href="/a">Storm closes bridge</a></li><li><a href="/b">Fish market reopens</a></li></ul></aside>
<footer><p>© 2026 The Harbor Ledger. All rights reserved.</p><p><a href="/privacy">Privacy</a></p></footer>
</body>
</html>
`;
}
