#!/usr/bin/env bash
# Gives the web app's files in folder $1 the names the server caches for a year: each
# moves to $1/assets/ under its name with a hash of its content (so a changed file gets a
# new name), and every reference to it is rewritten, innermost first: the module, the JS
# glue that loads it, the loader, the style sheet and the icon, then index.html (which keeps its name
# and is revalidated on every load). With `compress` as $2, each asset also gets its
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

# The glue finds the module beside itself (`new URL('booking_frontend_bg.wasm',
# import.meta.url)`), and both go to assets/.
module=$(hashed "$dist/pkg/booking_frontend_bg.wasm")
sed -i "s|'booking_frontend_bg.wasm'|'$module'|" "$dist/pkg/booking_frontend.js"
glue=$(hashed "$dist/pkg/booking_frontend.js")
sed -i "s|/pkg/booking_frontend.js|/assets/$glue|" "$dist/boot.js" "$dist/index.html"
loader=$(hashed "$dist/boot.js")
style=$(hashed "$dist/style.css")
icon=$(hashed "$dist/favicon.svg")
sed -i "s|/boot.js|/assets/$loader|; s|/style.css|/assets/$style|; s|/favicon.svg|/assets/$icon|" \
    "$dist/index.html"
rmdir "$dist/pkg"

if [ "$compress" = compress ]; then
    for file in "$assets"/*; do
        case $file in *.br | *.gz) continue ;; esac
        brotli --best --force --output="$file.br" "$file"
        gzip --best --no-name --keep --force "$file"
    done
fi
