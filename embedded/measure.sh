#!/usr/bin/env bash
# Flash and stack of an embedded vendor on payword, for a Cortex-M4F
# (thumbv7em-none-eabihf), in payword's two no-std feature sets:
#   (a) --no-default-features          receiver, Payment decoding, receiver state
#   (b) --no-default-features ed25519  (a) + certificate/commitment decoding,
#                                      Session::open (2 signatures), Session::pay_exact
# Builds the firmware (src/bin/vendor.rs) and an empty one with the same
# runtime, sizes them, runs the stack measurement under QEMU and the static
# stack bound, and prints a markdown table. See README.md.
#
# Usage: ./measure.sh [--profile release|release-z] [--compact-sha2] [--steps]
#   --profile NAME   cargo profile (default release: opt-level "s"; release-z: "z")
#   --compact-sha2   build sha2 with its compact software backend
#                    (--cfg sha2_backend_soft="compact"): smaller, slower
#   --steps          also measure each library call on its own (extra table)
#
# Needs: cargo with the thumbv7em-none-eabihf target, qemu-system-arm,
# binutils-arm-none-eabi (objdump; size if no llvm-size), python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

profile=release
compact=0
steps=0
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --compact-sha2) compact=1; shift ;;
    --steps) steps=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# Tools. llvm-size: on PATH, or from rustup's llvm-tools component.
size_tool=""
for t in llvm-size "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-size arm-none-eabi-size; do
  if command -v "$t" >/dev/null 2>&1; then size_tool="$t"; break; fi
done
missing=""
[ -n "$size_tool" ] || missing="$missing llvm-size/arm-none-eabi-size"
for t in qemu-system-arm arm-none-eabi-objdump python3 timeout; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
  echo "missing:$missing" >&2
  echo "install: apt-get install qemu-system-arm binutils-arm-none-eabi python3;" \
    "rustup target add thumbv7em-none-eabihf" >&2
  exit 1
fi

# Our own target directory (CI exports CARGO_TARGET_DIR for the main build).
unset CARGO_TARGET_DIR
target_dir="$here/target"
flags=()
variant="$profile"
if [ "$compact" = 1 ]; then
  # Appended to .cargo/config.toml's target rustflags (arrays merge).
  flags+=(--config 'target.thumbv7em-none-eabihf.rustflags=["--cfg","sha2_backend_soft=\"compact\""]')
  target_dir="$here/target/compact-sha2"
  variant="$profile, compact sha2"
fi
out="$here/target/measure/$profile$([ "$compact" = 1 ] && echo -compact-sha2 || true)"
mkdir -p "$out"
elf_dir="$target_dir/thumbv7em-none-eabihf/$profile"

build() { # build NAME BIN FEATURES
  local name="$1" bin="$2" features="$3"
  if ! cargo build --profile "$profile" --target-dir "$target_dir" "${flags[@]}" \
      --bin "$bin" ${features:+--features "$features"} >"$out/$name.build.log" 2>&1; then
    cat "$out/$name.build.log" >&2
    echo "build of $name failed" >&2
    exit 1
  fi
  cp "$elf_dir/$bin" "$out/$name.elf"
}

run_qemu() { # run_qemu NAME: runs NAME.elf, its semihosting report to NAME.qemu.log
  local name="$1" rc=0
  timeout 120 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel "$out/$name.elf" \
    >"$out/$name.qemu.log" 2>&1 </dev/null || rc=$?
  if [ "$rc" != 0 ] || ! grep -q '^result ok' "$out/$name.qemu.log"; then
    cat "$out/$name.qemu.log" >&2
    echo "QEMU run of $name failed (exit $rc; 124 is the timeout)" >&2
    exit 1
  fi
}

flash() { # flash bytes: vector table + .text + .rodata + .data (its load image)
  "$size_tool" -A "$out/$1.elf" |
    awk '$1 ~ /^\.(vector_table|text|rodata|data|gnu\.sgstubs)$/ { s += $2 } END { print s }'
}

sections() {
  "$size_tool" -A "$out/$1.elf" |
    awk '$1 ~ /^\.(vector_table|text|rodata|data|bss|uninit)$/ { printf "%s %s  ", $1, $2 }'
}

ram() {
  "$size_tool" -A "$out/$1.elf" |
    awk '$1 ~ /^\.(data|bss|uninit)$/ { s += $2 } END { print s + 0 }'
}

inputs() { # bytes of the test inputs (PAYWORD_VEC_* statics) in the image
  arm-none-eabi-nm -S -t d "$out/$1.elf" |
    awk '$4 ~ /^PAYWORD_VEC_/ { s += $2 } END { print s + 0 }'
}

measured() { # measured NAME LABEL...: the largest of the named high-water marks
  local name="$1"; shift
  local re; re="^stack ($(IFS='|'; echo "$*")) "
  { grep -E "$re" "$out/$name.qemu.log" || true; } | awk '{ if ($3 > m) m = $3 } END { print m + 0 }'
}

static_bound() { # static_bound NAME FUNCTION...: the largest static bound
  { python3 stack_static.py arm-none-eabi-objdump "$out/$1.elf" "${@:2}" \
      2>>"$out/$1.static.warnings" || true; } | tee -a "$out/$1.static.log" |
    awk '$1 == "static" { if ($3 > m) m = $3 } END { print m + 0 }'
}

rm -f "$out"/*.static.log "$out"/*.static.warnings
echo "building ($variant) ..." >&2
build empty empty ""
build a vendor ""
build b vendor "signed"
build a-qemu vendor "qemu"
build b-qemu vendor "qemu,signed"
echo "running under QEMU ..." >&2
run_qemu a-qemu
run_qemu b-qemu

empty=$(flash empty)
fa=$(flash a); fb=$(flash b)
ia=$(inputs a); ib=$(inputs b)
sa=$(measured a-qemu unsigned_vendor)
sb=$(measured b-qemu unsigned_vendor signed_vendor)
ta=$(static_bound a unsigned_round)
tb=$(static_bound b unsigned_round signed::signed_round)
# The same bound on the QEMU images: equal to the flash images' when the
# measured code is the same in both (it is checked, and said, below).
qa=$(static_bound a-qemu unsigned_round)
qb=$(static_bound b-qemu unsigned_round signed::signed_round)
ra=$(static_bound a Reset); rb=$(static_bound b Reset)
# The static bound holds only for code without indirect calls (at opt-level
# "z" LLVM calls through registers to save space): otherwise it is not given.
shown() { # shown NAME VALUE
  if [ -s "$out/$1.static.warnings" ]; then echo "n/a"; else echo "$2 B"; fi
}

echo
echo "payword embedded vendor, thumbv7em-none-eabihf (Cortex-M4F), profile $variant"
echo
echo "| feature set | flash total | empty firmware | vendor + payword | of which test inputs | stack, measured (QEMU) | stack, static bound |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| (a) \`--no-default-features\` | $fa B | $empty B | $((fa - empty)) B | $ia B | $sa B | $(shown a "$ta") |"
echo "| (b) \`--no-default-features --features ed25519\` | $fb B | $empty B | $((fb - empty)) B | $ib B | $sb B | $(shown b "$tb") |"
echo
echo "sections: empty: $(sections empty)"
echo "          (a):   $(sections a)"
echo "          (b):   $(sections b)"
echo "static RAM (.data + .bss + .uninit): (a) $(ram a) B, (b) $(ram b) B: all other RAM is stack"
echo "value sizes: $(awk '$1 == "size" { printf "%s%s %s B", sep, $2, $3; sep = ", " }' "$out/b-qemu.qemu.log")"
echo "static bound of the whole firmware (from Reset): (a) $(shown a "$ra"), (b) $(shown b "$rb")"
if [ "$qa" != "$ta" ] || [ "$qb" != "$tb" ]; then
  echo "note: the QEMU images' static bounds ($qa B, $qb B) differ from the flash images'"
fi
for x in a b; do
  if [ -s "$out/$x.static.warnings" ]; then
    echo "($x) static bound not given: $(sort -u "$out/$x.static.warnings" | wc -l) indirect" \
      "calls or branches (see ${out#"$here"/}/$x.static.warnings)"
  fi
done

if [ "$steps" = 1 ]; then
  echo "measuring each call (steps build) ..." >&2
  build a-steps vendor "steps"
  build b-steps vendor "steps,signed"
  run_qemu a-steps
  run_qemu b-steps
  echo
  echo "Each call on its own (\`steps\` builds: another inlining, so the sum need not match):"
  echo
  echo "| call | (a) | (b) |"
  echo "| --- | ---: | ---: |"
  for s in overhead receiver_state_decode payment_decode receiver_accept receiver_state_encode \
      certificate_decode commitment_decode session_open session_pay_exact; do
    x=$(measured a-steps "$s"); y=$(measured b-steps "$s")
    [ "$x" = 0 ] && x="–"
    echo "| \`$s\` | $x | $y |"
  done
fi
echo
echo "logs and images: ${out#"$here"/}" >&2
