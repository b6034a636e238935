#!/usr/bin/env bash
# Gives the web app's files in folder $1 the names the server caches for a year: each
# moves to $1/assets/ under a name with a hash of its content (so a changed file gets a
# new name), and every reference to it is rewritten, innermost first: the app (module,
# parts and glue), the loader, the style sheet and the icon, then index.html (which keeps
# its name and is revalidated on every load). With `compress` as $2, each asset also gets its
# brotli and gzip forms beside it, which the server sends instead when the browser
# accepts them.
set -euo pipefail

dist=$1
compress=${2:-}
assets=$dist/assets
mkdir -p "$assets"

# Moves file $1 into assets/ under its hashed name and prints that name.
hashed() {
    local base=${1##*/}
    local name
    name=${base%.*}-$(sha256sum "$1" | cut -c1-16).${base##*.}
    mv "$1" "$assets/$name"
    echo "$name"
}

# The app's own files (the module, its lazily loaded parts, the JS glue and the glue
# between the parts) refer to each other by name, so they move together: to one folder
# named by a hash of all of them.
app=app-$(cd "$dist/pkg" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
mv "$dist/pkg" "$assets/$app"
sed -i "s|/pkg/booking_frontend.js|/assets/$app/booking_frontend.js|" "$dist/boot.js" "$dist/index.html"
loader=$(hashed "$dist/boot.js")
style=$(hashed "$dist/style.css")
icon=$(hashed "$dist/favicon.svg")
sed -i "s|/boot.js|/assets/$loader|; s|/style.css|/assets/$style|; s|/favicon.svg|/assets/$icon|" \
    "$dist/index.html"

if [ "$compress" = compress ]; then
    find "$assets" -type f ! -name '*.br' ! -name '*.gz' | while read -r file; do
        brotli --best --force --output="$file.br" "$file"
        gzip --best --no-name --keep --force "$file"
    done
fi
