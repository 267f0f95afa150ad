#!/usr/bin/env bash
# The packaging test (ctest -R packaging_deb): builds the .deb with CPack into
# a scratch directory, checks its name, fields and contents, runs lintian,
# desktop-file-validate and appstreamcli when installed, then unpacks it with
# dpkg -x (never installs it) and checks the unpacked files: every linked
# library comes from a Debian package (but the CUDA libraries of the optional
# CUDA module), the man pages cover every command and option of the binaries'
# help, and --version names the version and commit.
#   check-deb.sh BUILD_DIR VERSION COMMIT METAINFO_XML DEBIAN_CHANGELOG
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 BUILD_DIR VERSION COMMIT METAINFO_XML DEBIAN_CHANGELOG" >&2; exit 2; }
build=$1 version=$2 commit=$3 metainfo=$4 changelog=$5

scratch=$(mktemp -d "${TMPDIR:-/tmp}/quantscope-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() {
  echo "check-deb: $*" >&2
  exit 1
}

# Release notes that trail the version would ship stale metadata.
grep -q "<release version=\"$version\"" "$metainfo" || fail "$metainfo: no <release version=\"$version\"> entry"
head -n 1 "$changelog" | grep -q "^quantscope ($version) " || fail "$changelog: the first entry is not version $version"

if ! (cd "$build" && cpack -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1); then
  cat "$scratch/cpack.log" >&2
  fail "cpack -G DEB failed in $build (is the build up to date?)"
fi
deb="$scratch/out/quantscope_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "expected $(basename "$deb"); cpack wrote: $(ls "$scratch/out")"
echo "built $(basename "$deb"), $(stat -c %s "$deb") bytes"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = quantscope ] || fail "Package is '$(field Package)', not quantscope"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Section)" = science ] || fail "Section is '$(field Section)', not science"
depends=$(field Depends)
echo "Depends: $depends"
for package in libqt6core6 libqt6widgets6 libqt6svg6 qt6-qpa-plugins libqcustomplot libhdf5 libsentencepiece libpcre2-8; do
  grep -q "$package" <<<"$depends" || fail "Depends names no $package: $depends"
done
if grep -Eqi 'cuda|cublas|cusolver' <<<"$depends"; then fail "the CUDA runtime must be optional, but Depends has it: $depends"; fi

contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
for path in usr/bin/quantscope usr/bin/quantscope-cli \
            usr/share/applications/quantscope.desktop \
            usr/share/icons/hicolor/scalable/apps/quantscope.svg \
            usr/share/icons/hicolor/{48x48,64x64,128x128,256x256}/apps/quantscope.png \
            usr/share/metainfo/org.quantscope.QuantScope.metainfo.xml \
            usr/share/man/man1/quantscope-cli.1.gz usr/share/man/man1/quantscope.1.gz \
            usr/share/doc/quantscope/copyright usr/share/doc/quantscope/changelog.gz \
            usr/share/quantscope/demo/qs-tiny-llama/model.safetensors \
            usr/share/quantscope/demo/qs-tiny-llama/config.json \
            usr/share/quantscope/demo/qs-tiny-llama/tokenizer.model; do
  grep -qxF "./$path" <<<"$contents" || fail "the package lacks /$path"
done

if grep -q '\.h5$' <<<"$contents"; then fail "the package holds HDF5 caches or projects: $(grep '\.h5$' <<<"$contents")"; fi

if command -v lintian >/dev/null; then
  # Errors fail the test; warnings are shown for the reader.
  lintian --allow-root "$deb" >"$scratch/lintian.log" 2>&1 || true
  echo "lintian: $(wc -l <"$scratch/lintian.log") tags"
  cat "$scratch/lintian.log"
  if grep -q '^E:' "$scratch/lintian.log"; then fail "lintian reports errors"; fi
fi

root="$scratch/root"
dpkg -x "$deb" "$root"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$root/usr/share/applications/quantscope.desktop" || fail "invalid desktop entry"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$root/usr/share/metainfo/org.quantscope.QuantScope.metainfo.xml" || fail "invalid metainfo"
fi

# dpkg-shlibdeps (run by CPack with --ignore-missing-info) silently drops a
# library no Debian package provides, such as the CUDA toolkit's libcudart in
# /usr/local/cuda: a program needing one would install and then fail to start.
# Only the CUDA module may need them: it is loaded at run time, and when its
# libraries are missing the kernels run on the CPU (Suggests names them).
cuda_module=usr/lib/quantscope/libqs_cuda.so
cuda_toolkit_soname='^lib(cudart|cublas|cublasLt|cusolver)\.so\.[0-9]+$'
for binary in "$root"/usr/bin/* "$root"/usr/lib/quantscope/*; do
  [ -e "$binary" ] || continue
  for soname in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    dpkg -S "*/$soname" >/dev/null 2>&1 && continue
    [ "${binary#"$root"/}" = "$cuda_module" ] && [[ "$soname" =~ $cuda_toolkit_soname ]] && continue
    fail "/${binary#"$root"/} needs $soname, which no Debian package provides, so the package cannot depend on it" \
         "(only /$cuda_module may need the CUDA toolkit's libraries)"
  done
done

# The man pages document every command and option that the binaries' help
# lists: a command has its own subsection, an option appears somewhere.
manual() { zcat "$root/usr/share/man/man1/$1.1.gz" | sed 's/\\-/-/g'; }
check_options_documented() {  # HELP_TEXT MAN_TEXT PAGE
  for option in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$1" | sort -u); do
    grep -qF -- "$option" <<<"$2" || fail "$3 does not mention the option $option"
  done
}
cli_help=$("$root/usr/bin/quantscope-cli" help 2>&1)
cli_manual=$(manual quantscope-cli)
for command in $(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' <<<"$cli_help" | sort -u); do
  grep -q "^\.SS \"$command " <<<"$cli_manual" || fail "quantscope-cli.1 has no subsection for the command '$command'"
done
check_options_documented "$cli_help" "$cli_manual" quantscope-cli.1
check_options_documented "$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/quantscope" --help 2>/dev/null)" "$(manual quantscope)" quantscope.1

expected="$version (commit $commit, CUDA: "
cli=$("$root/usr/bin/quantscope-cli" --version) || fail "the packaged quantscope-cli --version failed"
echo "$cli"
[[ "$cli" == "quantscope-cli $expected"* ]] || fail "quantscope-cli --version printed '$cli', expected 'quantscope-cli $expected...'"

# A build with CUDA ships its module where the programs look for it
# (../lib/quantscope beside bin/, kernels/backend.cpp), exporting the entry
# point they call, and suggests the libraries it needs.
if [[ "$cli" == *"CUDA: yes)"* ]]; then
  [ -f "$root/$cuda_module" ] || fail "CUDA is built in, but the package lacks /$cuda_module"
  nm -D --defined-only "$root/$cuda_module" | grep -qw qs_cuda_backend_probe ||
    fail "/$cuda_module does not export qs_cuda_backend_probe"
  suggests=$(field Suggests)
  echo "Suggests: $suggests"
  for package in cuda-cudart libcublas libcusolver; do
    grep -q "$package" <<<"$suggests" || fail "Suggests names no $package: $suggests"
  done
fi
gui=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/quantscope" --version) || fail "the packaged quantscope --version failed"
echo "$gui"
[[ "$gui" == "QuantScope $expected"* ]] || fail "quantscope --version printed '$gui', expected 'QuantScope $expected...'"
echo "check-deb: OK"
