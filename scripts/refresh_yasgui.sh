#!/bin/sh
# Refresh the vendored YASGUI (npm @triply/yasgui, MIT) in src/sdggraph/web/vendor/yasgui/.
# Usage: scripts/refresh_yasgui.sh [VERSION]   (default: the pinned version in VERSION there)
# Needs npm and network access to the npm registry; the service itself never fetches it.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/src/sdggraph/web/vendor/yasgui"
version=${1:-$(sed -n 's/^version: *//p' "$dest/VERSION" 2>/dev/null || true)}
[ -n "$version" ] || { echo "no version given and none pinned in $dest/VERSION" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@triply/yasgui@$version" >/dev/null && tar xzf triply-yasgui-"$version".tgz)
pkg="$work/package"
mkdir -p "$dest"
# the bundle (YASQE + YASR + YASGUI in one file), its stylesheet, and the licences
cp "$pkg/build/yasgui.min.js" "$pkg/build/yasgui.min.css" "$pkg/build/yasgui.min.js.LICENSE.txt" "$dest/"
cp "$pkg/LICENSE.txt" "$dest/LICENSE.txt"
# the bundle's source map points at a file we do not ship
sed -i 's|^//# sourceMappingURL=.*$||' "$dest/yasgui.min.js"
integrity=$(cd "$work" && npm view --silent "@triply/yasgui@$version" dist.integrity)
cat > "$dest/VERSION" <<NOTE
package: @triply/yasgui
version: $version
licence: MIT (LICENSE.txt; bundled dependencies: yasgui.min.js.LICENSE.txt)
integrity: $integrity
source: https://registry.npmjs.org/@triply/yasgui/-/yasgui-$version.tgz
files: build/yasgui.min.js, build/yasgui.min.css, build/yasgui.min.js.LICENSE.txt, LICENSE.txt
refreshed by: scripts/refresh_yasgui.sh $version
NOTE
echo "YASGUI $version in $dest"
