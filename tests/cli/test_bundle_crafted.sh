#!/usr/bin/env bash
# End-to-end: hostile payloads built from scratch (python tarfile, with the
# GENUINE manifest member of a real bundle so that the manifest verifies, or
# without it), decompression bombs (bounded time and memory), and the
# environment errors of seal and open. Every case: exact exit code, the error
# sentence, and that nothing was written (no OUTDIR, no staging directory, no
# temporary file, no file anywhere in the test directory newer than the attempt).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bundle_lib.sh"

seal_as "$SI" B.custos
payload B.custos p.tar

# craft KIND: a tar from p.tar's members altered as KIND, wrapped for NL.
craft() { $PY craft p.tar "$1" c.tar && wrap c.tar C.custos; }
MISMATCH="payload does not match its signed manifest"

case_ "crafted: a '../x' member right after the genuine manifest"
craft dotdot; attack C.custos 1 "found '../x'"
expect_no_file "$T/../x"
case_ "crafted: an absolute member name"
craft abs; attack C.custos 1 "found '/tmp/custos-abs-pwned'"
expect_no_file /tmp/custos-abs-pwned
case_ "crafted: a symlink member where a file is expected"
craft symlink; attack C.custos 1 "data/ev/a.txt' is not a regular file"
case_ "crafted: a hard link member where a file is expected"
craft hardlink; attack C.custos 1 "data/ev/a.txt' is not a regular file"
case_ "crafted: a character device member"
craft chardev; attack C.custos 1 "data/ev/a.txt' is not a regular file"
case_ "crafted: the same name twice"
craft duplicate; attack C.custos 1 "data/ev/big.bin', found"
case_ "crafted: a member outside the top directory"
craft outside; attack C.custos 1 "found 'elsewhere/data/ev/a.txt'"
case_ "crafted: a member the manifest does not list"
craft extra; attack C.custos 1 "data/ev/zz-extra.txt'"
case_ "crafted: a member the manifest lists is missing"
craft missing; attack C.custos 1 "data/ev/a.txt', found"
case_ "crafted: a size that disagrees with the manifest"
craft size; attack C.custos 1 "size of 'data/ev/a.txt' is 7, the manifest says 6"
case_ "crafted: the first member is not the manifest"
craft notfirst; attack C.custos 1 "not the manifest"
case_ "crafted: no seal"
craft noseal; attack C.custos 1 "custos/seal.pb' is missing"
case_ "crafted: no manifest"
craft nomanifest; attack C.custos 1 "not the manifest"
case_ "crafted: an empty tar"
craft empty; attack C.custos 1 "the archive is empty"
case_ "crafted: a payload that is not a tar"
printf 'this is not a tar archive\n' >c.tar; wrap c.tar C.custos
attack C.custos 1 "payload is not a tar archive"
case_ "crafted: a payload that is not zstd"
printf 'plain text, no zstd frame' | age -r "$NL_AGE" >C.custos
attack C.custos 1 "payload is not valid zstd"
case_ "crafted: an empty payload"
age -r "$NL_AGE" </dev/null >C.custos
attack C.custos 1 "payload holds no zstd frame"

# ---- decompression bombs: 2 GiB of zeros behind a crafted header ---------
# zstd frames concatenate, so each bomb is a small frame with the crafted
# headers followed by one 2 GiB frame of zeros (compressed once, ~70 KB).
head -c 2G /dev/zero | zstd -q -1 -T2 >zeros.zst
python3 - p.tar <<'PY'
import sys, tarfile
a_txt = [m for m in tarfile.open(sys.argv[1]) if m.name.endswith("data/ev/a.txt")][0]
def hdr(name, size, type_):
    # mode and mtime as the manifest has them, so only the size is wrong
    ti = tarfile.TarInfo(name); ti.size = size; ti.type = type_
    ti.mode = a_txt.mode; ti.mtime = a_txt.mtime
    return ti.tobuf(tarfile.USTAR_FORMAT)
p = open(sys.argv[1], "rb").read()
top = p[:100].split(b"/")[0].decode()
G2 = 2 ** 31
dir_end = 2048   # genuine manifest member + the data/ev directory header
open("bomb-manifest.pre", "wb").write(hdr(top + "/custos/manifest.pb", G2, tarfile.REGTYPE))
open("bomb-pax-preauth.pre", "wb").write(hdr("PaxHeader/x", G2, tarfile.XHDTYPE))
open("bomb-pax-postauth.pre", "wb").write(p[:1536] + hdr("PaxHeader/x", G2, tarfile.XHDTYPE))
open("bomb-evidence.pre", "wb").write(p[:dir_end] + hdr(top + "/data/ev/a.txt", G2, tarfile.REGTYPE))
# After all the genuine evidence: a tag file, the custody log, the seal with
# a 2 GiB size (each member's own limit, checked at its header).
members = tarfile.open(sys.argv[1]).getmembers()
def at(suffix):
    m = [m for m in members if m.name == top + "/" + suffix][0]
    return p[:m.offset] + hdr(m.name, G2, tarfile.REGTYPE)
open("bomb-tag.pre", "wb").write(at("manifest-sha256.txt"))
open("bomb-custody.pre", "wb").write(at("custos/custody.log"))
open("bomb-seal.pre", "wb").write(at("custos/seal.pb"))
PY
TIME=/usr/bin/time; [ -x "$TIME" ] || TIME=""
# bomb NAME STATUS MESSAGE: fails within 60 s and, when /usr/bin/time exists,
# under 100 MB of resident memory; open writes nothing.
bomb() {
  { zstd -q -c "$1.pre"; cat zeros.zst; } | age -r "$NL_AGE" >C.custos
  if [ -n "$TIME" ]; then
    $TIME -o rss -f %M timeout 60 "$CUSTOS" verify C.custos -k "$NL.key" --from "$SI.pub" \
      --allow-example-keys >"$OUT" 2>"$ERR" </dev/null
  else
    timeout 60 "$CUSTOS" verify C.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys \
      >"$OUT" 2>"$ERR" </dev/null
  fi
  STATUS=$?
  expect_status "$2"; expect_stderr "$3"
  if [ -n "$TIME" ]; then
    if [ "$(tail -1 rss)" -lt 100000 ]; then ok; else fail "max RSS $(tail -1 rss) KB"; fi
  fi
  expect_open_fails C.custos "$2" "$3" -k "$NL.key" --from "$SI.pub"
}
case_ "bomb: a 2 GiB manifest member before any signature"
bomb bomb-manifest 1 "over the limit"
case_ "bomb: a 2 GiB pax header before any signature"
bomb bomb-pax-preauth 1 "payload tar is malformed"
case_ "bomb: a 2 GiB pax header after the genuine manifest"
bomb bomb-pax-postauth 1 "payload tar is malformed"
case_ "bomb: a 2 GiB evidence member after the genuine manifest"
bomb bomb-evidence 1 "size of 'data/ev/a.txt' is 2147483648, the manifest says 6"
case_ "bomb: a 2 GiB tag file after the genuine evidence"
bomb bomb-tag 1 "tag file manifest-sha256.txt is over its limit"
case_ "bomb: a 2 GiB custody log after the genuine evidence"
bomb bomb-custody 1 "embedded custody log is over the limit"
case_ "bomb: a 2 GiB seal after the genuine evidence"
bomb bomb-seal 1 "seal member is over the limit"
rm -f zeros.zst bomb-*.pre

# ---- environment: outputs, inputs, keys, acknowledgement ------------------
case_ "open: OUTDIR exists and is not empty"
mkdir full; echo keep >full/mine
run open B.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys -o full --acknowledge
expect_status 4; expect_stderr "exists and is not an empty directory"
if [ "$(ls -A full)" = mine ] && [ "$(cat full/mine)" = keep ]; then ok; else fail "full/ changed"; fi
expect_no_stray "$T"

case_ "open: without --acknowledge and without a terminal"
rm -f .marker; touch .marker; sleep 0.01
setsid -w "$CUSTOS" open B.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys -o out \
  >"$OUT" 2>"$ERR" </dev/null; STATUS=$?
expect_status 2; expect_stderr "must be acknowledged"; expect_stderr "nothing was written"
expect_no_file out; expect_no_stray "$T"
NEW=$(find "$T" -newer .marker ! -path "$T" ! -name .stdout ! -name .stderr | head -3)
if [ -z "$NEW" ]; then ok; else fail "wrote: $NEW"; fi

case_ "open: an example key without --allow-example-keys"
run open B.custos -k "$NL.key" --from "$SI.pub" -o out --acknowledge
expect_status 3; expect_stderr "is a public example key"; expect_no_file out; expect_no_stray "$T"
run verify B.custos -k "$NL.key" --from "$SI.pub"
expect_status 3; expect_stderr "is a public example key"

SEAL=(-k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" --case C --allow-example-keys)
case_ "seal: onto an existing output without --force"
SUM=$(sha256sum B.custos)
run seal ev "${SEAL[@]}" -o B.custos
expect_status 4; expect_stderr "already exists"; expect_stderr "--force"
if [ "$(sha256sum B.custos)" = "$SUM" ]; then ok; else fail "B.custos was replaced"; fi
expect_no_stray "$T"
case_ "seal: onto an existing output with --force"
run seal ev "${SEAL[@]}" -o B.custos --force
expect_status 0
if [ "$(sha256sum B.custos)" != "$SUM" ]; then ok; else fail "B.custos was not replaced"; fi
expect_no_stray "$T"

case_ "seal: an input that does not exist"
run seal ev/nope.bin "${SEAL[@]}" -o S.custos
expect_status 4; expect_stderr "nope.bin"; expect_no_file S.custos; expect_no_file S.custos.sig
expect_no_stray "$T"
case_ "seal: a FIFO input"
mkfifo fifo
run seal fifo "${SEAL[@]}" -o S.custos
expect_status 4; expect_stderr "fifo"; expect_no_file S.custos; expect_no_stray "$T"
case_ "seal: a symlink input"
ln -s ev/a.txt link.txt
run seal link.txt "${SEAL[@]}" -o S.custos
expect_status 4; expect_stderr "link.txt"; expect_no_file S.custos; expect_no_stray "$T"
case_ "seal: a symlink inside an input directory"
mkdir ev2; echo y >ev2/f; ln -s /etc/passwd ev2/pw
run seal ev2 "${SEAL[@]}" -o S.custos
expect_status 4; expect_stderr "ev2/pw"; expect_no_file S.custos; expect_no_stray "$T"
case_ "seal: nothing to seal"
run seal "${SEAL[@]}" -o S.custos
expect_status 2; expect_stderr "nothing to seal"; expect_no_file S.custos
case_ "seal: a recipient neither trusted nor confirmed"
mkdir -m 700 trust-empty
run seal ev -k "$SI.key" -r "$NL.pub" --trust-dir trust-empty --case C --allow-example-keys -o S.custos
expect_status 3; expect_stderr "$NLFP"; expect_no_file S.custos; expect_no_stray "$T"
case_ "seal: a confirmed fingerprint that is not the recipient's"
run seal ev -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$("$CUSTOS" key fingerprint "$PR.pub")" \
  --trust-dir trust-empty --case C --allow-example-keys -o S.custos
expect_status 3; expect_stderr "is neither in the trust store nor confirmed"
expect_no_file S.custos; expect_no_stray "$T"
case_ "seal: a manifest over its 64 MiB limit is refused before anything is written"
# 17,000 empty files whose bundle paths are ~4,000 bytes (15 directories of
# 250 bytes, names of 240): the signed manifest would be ~68 MB.
python3 - <<'PY'
import os
d = os.path.join("big", *(["d" * 250] * 15))
os.makedirs(d)
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
for i in range(17000):
    os.close(os.open("%05d" % i + "f" * 235, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
os.close(fd)
PY
run seal big "${SEAL[@]}" -o S.custos
expect_status 1
expect_stderr "the manifest of these 17016 entries is "
expect_stderr " bytes, over the limit of 67108864"
expect_stderr "seal the evidence in several bundles"
expect_no_file S.custos; expect_no_file S.custos.sig; expect_no_stray "$T"
rm -rf big

case_ "seal: an example key without --allow-example-keys"
run seal ev -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" --case C -o S.custos
expect_status 3; expect_stderr "is a public example key"; expect_no_file S.custos; expect_no_stray "$T"

finish
