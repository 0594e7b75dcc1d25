#!/bin/bash
# A/B of cache hits on one hot article-page URL: another checkout of Byline (an earlier commit, its
# cache behind Express) vs this one, side by side. Usage: bash bench/cache-hit-ab.sh <other checkout>
# (both against the bench database; PORTs 4195 and 4196).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEFORE=$(cd "${1:?usage: bash bench/cache-hit-ab.sh <other checkout>}" && pwd)
cd "$ROOT"
SLUG=$(psql -h 127.0.0.1 -U postgres -d byline_bench -Atc "select slug from articles where status='published' and published_at<=now() order by listed_at desc limit 1")
Q=$(node -e "const fs=require('fs');const q=fs.readFileSync('bench/operations/article-page.graphql','utf8');console.log(new URLSearchParams({query:q,variables:JSON.stringify({slug:process.argv[1]})}).toString())" "$SLUG")
start() { (cd $1 && DATABASE_URL=postgres://postgres@127.0.0.1:5432/byline_bench PORT=$2 NODE_ENV=production LOG_LEVEL=warn BYLINE_DEMO=false BYLINE_RATE_LIMIT_PER_MINUTE=0 node bin/byline.mjs serve > /tmp/srv-$2.log 2>&1 &); }
start "$BEFORE" 4195; start "$ROOT" 4196; sleep 10
for port in 4195 4196; do curl -s -o /dev/null -H 'apollo-require-preflight: 1' "http://127.0.0.1:$port/graphql?$Q"; curl -s -D - -o /dev/null -H 'apollo-require-preflight: 1' "http://127.0.0.1:$port/graphql?$Q" | grep -i x-cache; done
for round in 1 2; do for port in 4195 4196; do echo -n "port $port: "; npx autocannon -c 32 -d 10 -j -H 'apollo-require-preflight=1' "http://127.0.0.1:$port/graphql?$Q" 2>/dev/null | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s);console.log(r.requests.average+' req/s, p50 '+r.latency.p50+' ms, p99 '+r.latency.p99+' ms, non2xx '+r.non2xx)})"; done; done
kill $(lsof -t -i:4195) $(lsof -t -i:4196) 2>/dev/null
