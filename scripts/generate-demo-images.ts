// npm run demo:images: draws the demo's images (content/demo/media/*.svg), which Byline serves at
// /media/demo/. Simple shapes drawn by code: no photograph, no real person. The reference article's
// three photos are not ours to ship, so each is a panel saying so, with the credit the page gives.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../content/demo/media/', import.meta.url));

interface Scene {
  readonly width: number;
  readonly height: number;
  /** Sky (top) and ground or sea (bottom) colours, and where the horizon is (0–1 of the height). */
  readonly sky: readonly [string, string];
  readonly ground: string;
  readonly horizon: number;
  /** Shapes drawn over the background, in a 100 × 100 box scaled to the image. */
  readonly shapes: string;
}

const LABEL = 'Illustration · The Byline Dispatch (demo)';

function scene({ width, height, sky, ground, horizon, shapes }: Scene): string {
  const y = Math.round(height * horizon);
  const fontSize = Math.round(height / 30);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>`,
    `<rect width="${width}" height="${height}" fill="url(#sky)"/>`,
    `<rect y="${y}" width="${width}" height="${height - y}" fill="${ground}"/>`,
    `<g transform="scale(${width / 100} ${height / 100})">${shapes}</g>`,
    `<text x="${fontSize}" y="${height - fontSize}" font-family="sans-serif" font-size="${fontSize}" fill="#ffffff" fill-opacity="0.85">${LABEL}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** A panel standing in for a photo we may not ship. */
function notIncluded(width: number, height: number, what: string, credit: string | null): string {
  const size = Math.round(height / 18);
  const line = (text: string, dy: number, scale = 1, weight = 400) =>
    `<text x="50%" y="${Math.round(height / 2 + dy * size)}" text-anchor="middle" font-family="sans-serif" font-size="${Math.round(size * scale)}" font-weight="${weight}" fill="#4a5568">${text}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#e2e8f0"/>`,
    `<rect x="${size}" y="${size}" width="${width - 2 * size}" height="${height - 2 * size}" fill="none" stroke="#a0aec0" stroke-width="${Math.max(2, size / 8)}" stroke-dasharray="${size / 2} ${size / 3}"/>`,
    line('Photo not included in the demo', -1.2, 1.2, 600),
    line(what, 0.4, 0.8),
    credit ? line(`Original photo: ${credit}`, 1.8, 0.7) : '',
    '</svg>',
    '',
  ].join('\n');
}

const images: Record<string, string> = {
  // Invented stories: drawings matching their captions, which say "Illustrative image".
  'dmz-observation-post.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#9fb8c8', '#dfe7ea'],
    ground: '#4d6b3c',
    horizon: 0.62,
    shapes:
      '<path d="M0 62 L18 48 L34 58 L52 44 L70 57 L86 47 L100 55 L100 62 Z" fill="#5f7f4a"/>' +
      '<rect x="40" y="40" width="14" height="14" fill="#8a8f93"/><rect x="38" y="37" width="18" height="4" fill="#6c7276"/>' +
      '<rect x="44" y="44" width="6" height="3" fill="#2d3338"/>' +
      '<path d="M0 75 H100" stroke="#c9cdd0" stroke-width="0.4" stroke-dasharray="1 1"/>' +
      '<path d="M0 77 H100" stroke="#c9cdd0" stroke-width="0.4"/>',
  }),
  'seoul-foreign-ministry-building.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#7fa7d6', '#d8e6f3'],
    ground: '#b9b4aa',
    horizon: 0.78,
    shapes:
      '<rect x="34" y="14" width="32" height="64" fill="#8795a1"/>' +
      Array.from({ length: 10 }, (_, row) =>
        Array.from(
          { length: 5 },
          (_, col) =>
            `<rect x="${37 + col * 6}" y="${18 + row * 6}" width="3.5" height="3.5" fill="#cfe0ee"/>`,
        ).join(''),
      ).join('') +
      '<rect x="20" y="55" width="0.6" height="23" fill="#555"/><rect x="20.6" y="55" width="6" height="4" fill="#c0392b"/>' +
      '<rect x="78" y="55" width="0.6" height="23" fill="#555"/><rect x="78.6" y="55" width="6" height="4" fill="#2e86c1"/>',
  }),
  'japan-destroyer-yokosuka.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#8d99a6', '#cfd6dd'],
    ground: '#3f5a6b',
    horizon: 0.6,
    shapes:
      '<path d="M12 60 L86 60 L80 68 L18 68 Z" fill="#6e7882"/>' +
      '<rect x="40" y="50" width="16" height="10" fill="#7d8791"/><rect x="46" y="40" width="3" height="10" fill="#7d8791"/>' +
      '<rect x="60" y="54" width="10" height="6" fill="#7d8791"/>' +
      '<rect x="0" y="66" width="100" height="3" fill="#9a9186"/>',
  }),
  'kuril-islands-coastline.svg': scene({
    width: 1920,
    height: 1080,
    sky: ['#b7c4cc', '#e9edef'],
    ground: '#34515e',
    horizon: 0.64,
    shapes:
      '<path d="M8 64 L30 40 L38 46 L48 30 L62 50 L74 44 L92 64 Z" fill="#556a62"/>' +
      '<path d="M44 34 L48 30 L52 35 Z" fill="#f2f2f2"/>' +
      '<rect x="0" y="40" width="100" height="14" fill="#ffffff" fill-opacity="0.35"/>',
  }),
  'balloon-debris-field-paju.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#a9c7e3', '#edf3f8'],
    ground: '#8aa65a',
    horizon: 0.45,
    shapes:
      Array.from(
        { length: 7 },
        (_, i) => `<path d="M0 ${52 + i * 7} H100" stroke="#7a9650" stroke-width="0.6"/>`,
      ).join('') +
      '<ellipse cx="46" cy="70" rx="12" ry="5" fill="#f4f4f2"/>' +
      '<path d="M56 70 L64 74 L60 80 L52 77 Z" fill="#d9d4c7"/>',
  }),
  'north-korea-missile-launcher-illustration.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#c9c3b5', '#ece8df'],
    ground: '#8c8271',
    horizon: 0.7,
    shapes:
      '<rect x="18" y="58" width="64" height="8" fill="#4f5b45"/>' +
      Array.from(
        { length: 6 },
        (_, i) => `<circle cx="${24 + i * 10.5}" cy="68" r="3" fill="#2b2b2b"/>`,
      ).join('') +
      '<path d="M22 55 L80 50 L84 52 L80 54 L22 57 Z" fill="#d8d8d0"/>',
  }),
  'carrier-arrives-busan-2024-06-22.svg': scene({
    width: 1600,
    height: 900,
    sky: ['#9db6cc', '#dde7ef'],
    ground: '#2f5570',
    horizon: 0.58,
    shapes:
      '<path d="M8 58 L92 58 L86 68 L14 68 Z" fill="#7b848c"/>' +
      '<rect x="62" y="46" width="8" height="12" fill="#6b747c"/>' +
      '<path d="M78 20 V58 M78 22 H92 M90 22 V34" stroke="#c0392b" stroke-width="1"/>' +
      '<path d="M4 30 V58 M4 32 H16 M14 32 V42" stroke="#2e86c1" stroke-width="1"/>',
  }),
  'carrier-flight-deck-sailors.svg': scene({
    width: 1600,
    height: 1067,
    sky: ['#a7bfd4', '#e4ecf3'],
    ground: '#5c636a',
    horizon: 0.5,
    shapes:
      '<path d="M0 50 H100" stroke="#f1c40f" stroke-width="0.5" stroke-dasharray="3 2"/>' +
      Array.from(
        { length: 14 },
        (_, i) =>
          `<rect x="${6 + i * 6.5}" y="56" width="2.2" height="9" fill="#fbfbfb"/><circle cx="${7.1 + i * 6.5}" cy="54.5" r="1.4" fill="#fbfbfb"/>`,
      ).join(''),
  }),
  // The reference article's photos: not ours to ship.
  'putin-visit-north-korea-2024-06-19.svg': notIncluded(
    1920,
    1080,
    'Visit to North Korea, 19 June 2024',
    '© POOL',
  ),
  'hwasong-18-icbm-test-2023-07-13.svg': notIncluded(1600, 900, 'Missile test, 13 July 2023', null),
  'uss-theodore-roosevelt-guam-2020-05-15.svg': notIncluded(
    1600,
    900,
    'USS Theodore Roosevelt at Guam, 15 May 2020',
    null,
  ),
};

mkdirSync(dir, { recursive: true });
for (const [name, svg] of Object.entries(images)) writeFileSync(new URL(name, `file://${dir}`), svg);
console.log(`wrote ${Object.keys(images).length} images to ${dir}`);
