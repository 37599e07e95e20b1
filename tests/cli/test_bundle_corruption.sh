#!/usr/bin/env bash
# End-to-end: the bundle corruption catalogue (docs/FORMAT.md "What the reader
# checks"). An outsider flips and cuts bytes of the age file; a bundle reaches
# the wrong key, the wrong trust store or a forwardee; a co-recipient who knows
# the file key re-wraps an altered payload; the transport signature is checked
# without a key. Every case: exact exit code, the error sentence, nothing written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bundle_lib.sh"

seal_as "$SI" B.custos
seal_as "$SI" B2.custos          # another bundle from the same sender
seal_as "$NL" BN.custos          # NL: a trusted sender that is also a recipient
payload B.custos p.tar
payload B2.custos p2.tar
payload BN.custos pn.tar
SIZE=$(stat -c %s B.custos)
# Length of the age header (up to and including the "--- MAC" line); the
# 16-byte payload nonce follows, then 64 KiB + 16-byte STREAM chunks.
HDR=$(python3 -c 'import sys;b=open(sys.argv[1],"rb").read();i=b.index(b"\n---");print(b.index(b"\n",i+1)+1)' B.custos)
CHUNK=$((65536 + 16))

case_ "intact bundle verifies (the baseline every case below alters)"
run verify B.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys
expect_status 0
expect_stdout "transport   signature verified"

# ---- outsider: bytes of the age file --------------------------------------
flipped() { cp B.custos X.custos; $PY flip X.custos "$1"; }

case_ "byte flipped in the age version line"
flipped 5; attack X.custos 1 "not an age file"
case_ "byte flipped inside the only recipient stanza"
flipped 40
run verify X.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys
if [ "$STATUS" -eq 1 ] || [ "$STATUS" -eq 3 ]; then ok; else fail "exit $STATUS, expected 1 or 3"; fi
# The share is random: a flipped character is either still canonical base64
# (another share: no stanza unwraps, exit 3) or not (malformed stanza, exit 1).
if [ "$STATUS" -eq 3 ]; then stanza_msg="none of the bundle's recipients matches"
else stanza_msg="malformed X25519 stanza"; fi
expect_stderr "$stanza_msg"
expect_open_fails X.custos "$STATUS" "$stanza_msg" -k "$NL.key" --from "$SI.pub"
case_ "header MAC replaced by another valid base64 MAC"
cp B.custos X.custos
python3 -c 'import sys;p=sys.argv[1];o=int(sys.argv[2]);b=bytearray(open(p,"rb").read())
b[o]=ord("A") if b[o]!=ord("A") else ord("B");open(p,"wb").write(b)' X.custos $((HDR - 10))
attack X.custos 1 "the age header MAC does not verify"
case_ "byte flipped in the first payload chunk"
flipped $((HDR + 16 + 100)); attack X.custos 1 "age payload chunk 1 failed authentication"
case_ "byte flipped in a middle payload chunk"
flipped $((HDR + 16 + 2 * CHUNK + 100)); attack X.custos 1 "age payload chunk 3 failed authentication"
case_ "byte flipped in the last payload chunk"
flipped $((SIZE - 5)); attack X.custos 1 "age payload chunk 5 failed authentication"
case_ "truncated inside the age header"
head -c 100 B.custos >X.custos; attack X.custos 1 "the age header is truncated"
case_ "truncated in the middle of a chunk"
head -c $((HDR + 16 + 30000)) B.custos >X.custos; attack X.custos 1 "failed authentication"
case_ "truncated exactly at a 64 KiB chunk boundary"
head -c $((HDR + 16 + 2 * CHUNK)) B.custos >X.custos; attack X.custos 1 "the final chunk is missing"
case_ "one byte short"
head -c $((SIZE - 1)) B.custos >X.custos; attack X.custos 1 "failed authentication"
case_ "garbage appended"
{ cat B.custos; printf 'garbage'; } >X.custos; attack X.custos 1 "has data appended"

# ---- wrong key, wrong trust, forwarding ----------------------------------
case_ "not addressed to this key: the prosecutor opens"
run verify B.custos -k "$PR.key" --from "$SI.pub" --allow-example-keys
expect_status 3; expect_stderr "none of the bundle's recipients matches this key"
expect_open_fails B.custos 3 "none of the bundle's recipients matches" -k "$PR.key" --from "$SI.pub"

case_ "sealed by an untrusted key (the lab), empty trust store"
seal_as "$LAB" BL.custos
LABFP=$("$CUSTOS" key fingerprint "$LAB.pub")
mkdir -m 700 trust-empty
run verify BL.custos -k "$NL.key" --trust-dir trust-empty --allow-example-keys
expect_status 1; expect_stderr "untrusted sender"; expect_stderr "$LABFP"; expect_stderr "custos trust add"
expect_open_fails BL.custos 1 "$LABFP" -k "$NL.key" --trust-dir trust-empty

case_ "--from SI pins the sender: a bundle sealed by the lab fails"
attack BL.custos 1 "which is not one of the --from identities"

case_ "a trust store holding SI accepts SI's bundle, not the lab's"
mkdir -m 700 trust-si
run trust add "$SI.pub" --trust-dir trust-si --allow-example-keys
expect_status 0
run verify B.custos -k "$NL.key" --trust-dir trust-si --allow-example-keys
expect_status 0
expect_open_fails BL.custos 1 "untrusted sender" -k "$NL.key" --trust-dir trust-si

case_ "forwarding: NL re-encrypts the payload for the prosecutor"
age -d -i nl.age B.custos | age -r "$PR_AGE" >F.custos
run verify F.custos -k "$PR.key" --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "sealed for 'EXAMPLE Central Authority of the Netherlands'"
expect_stderr "not for you"
expect_open_fails F.custos 1 "not for you" -k "$PR.key" --from "$SI.pub"

# ---- co-recipient re-wraps an altered payload ---------------------------
# rewrap: p.tar altered into t.tar -> X.custos (no .sig beside it).
edit() { cp p.tar t.tar; }
rewrap() { wrap t.tar X.custos; }

case_ "re-wrapped unaltered payload still verifies (so every failure below is the alteration)"
edit; rewrap
run verify X.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys
expect_status 0; expect_stdout "no transport signature beside the bundle"

case_ "case reference changed inside the signed manifest"
edit; OFF=$(python3 -c 'import sys;print(open(sys.argv[1],"rb").read().index(b"CASE-7")+5)' t.tar)
$PY flip t.tar "$OFF"; rewrap; attack X.custos 1 "manifest signature is invalid"
case_ "byte flipped in the manifest's signature"
edit; M=$(member_off p.tar custos/manifest.pb); MS=$($PY members p.tar | awk 'NR==1{print $3}')
$PY flip t.tar $((M + MS - 3)); rewrap; attack X.custos 1 "manifest signature is invalid"
case_ "byte flipped in the seal member"
edit; $PY flip t.tar $(($(member_off p.tar custos/seal.pb) + 100)); rewrap
attack X.custos 1 "seal signature is invalid"
case_ "byte flipped in a data file (tag manifest left as is)"
edit; $PY flip t.tar $(($(member_off p.tar data/ev/big.bin) + 1000)); rewrap
attack X.custos 1 "SHA-256 of 'data/ev/big.bin' differs from the one listed in manifest-sha256.txt"
case_ "byte flipped in a data file, both tag manifests updated to match"
edit; $PY flip t.tar $(($(member_off p.tar data/ev/big.bin) + 1000))
member_content t.tar data/ev/big.bin big.alt
member_content p.tar manifest-sha256.txt msha
member_content p.tar tagmanifest-sha256.txt tsha
python3 -c 'import hashlib
h=lambda b: hashlib.sha256(b).hexdigest()
old, new = h(open("ev/big.bin","rb").read()), h(open("big.alt","rb").read())
m=open("msha","rb").read(); m2=m.replace(old.encode(), new.encode())
open("msha2","wb").write(m2)
open("tsha2","wb").write(open("tsha","rb").read().replace(h(m).encode(), h(m2).encode()))'
$PY splice t.tar manifest-sha256.txt msha2 t2.tar
$PY splice t2.tar tagmanifest-sha256.txt tsha2 t.tar; rewrap
# The SEALED event's digest of the entry hashes is checked before the seal.
attack X.custos 1 "embedded custody log does not end with this bundle's SEALED event"
case_ "byte flipped in the embedded custody log"
edit; $PY flip t.tar $(($(member_off p.tar custos/custody.log) + 100)); rewrap
attack X.custos 1 "embedded custody log"
case_ "byte flipped in bag-info.txt"
edit; $PY flip t.tar $(($(member_off p.tar bag-info.txt) + 10)); rewrap
attack X.custos 1 "tag file bag-info.txt differs"
case_ "a directory's mode changed in its tar header"
edit; $PY sethdr t.tar data/ev mode 700; rewrap
attack X.custos 1 "mode or modification time of 'data/ev' differs"
case_ "a file's mtime changed in its tar header"
edit; $PY sethdr t.tar data/ev/a.txt mtime 1700000001; rewrap
attack X.custos 1 "mode or modification time of 'data/ev/a.txt' differs"
case_ "a header field nobody reads (uname) changed: the tar transcript"
edit; $PY sethdr t.tar data/ev/a.txt uname mallory; rewrap
attack X.custos 1 "tar headers or metadata were altered after sealing"
case_ "a pax comment record inserted before a data file"
$PY pax p.tar data/ev/a.txt 'comment=harmless' t.tar; rewrap
attack X.custos 1 "tar headers or metadata were altered after sealing"
case_ "a pax xattr record on a data file"
$PY pax p.tar data/ev/a.txt 'SCHILY.xattr.user.origin=elsewhere' t.tar; rewrap
attack X.custos 1 "carries links, extended attributes"
case_ "whole tar rewritten in pax format, same members and content"
$PY paxall p.tar t.tar; rewrap
attack X.custos 1 "tar headers or metadata were altered after sealing"
case_ "the seal member's own header changed (uname): outside the transcript, pinned instead"
edit; $PY sethdr t.tar custos/seal.pb uname mallory; rewrap
attack X.custos 1 "the seal member's tar header is not the one custos writes"
case_ "a pax record inserted before the seal member"
$PY pax p.tar custos/seal.pb 'comment=harmless' t.tar; rewrap
attack X.custos 1 "the seal member's tar header is not the one custos writes"
case_ "a non-zero byte in the seal member's padding"
edit; S_OFF=$(member_off p.tar custos/seal.pb); S_LEN=$($PY members p.tar | awk '/seal.pb$/{print $3}')
$PY flip t.tar $((S_OFF + S_LEN + 3)); rewrap
attack X.custos 1 "payload has data after the end of the tar archive"
case_ "seal replaced by the seal of another bundle from the same sender"
member_content p2.tar custos/seal.pb seal2
$PY splice p.tar custos/seal.pb seal2 t.tar; rewrap
attack X.custos 1 "seal does not match the bundle: it names another bundle id"
case_ "custody log replaced by another bundle's"
member_content p2.tar custos/custody.log log2
$PY splice p.tar custos/custody.log log2 t.tar; rewrap
attack X.custos 1 "embedded custody log does not end with this bundle's SEALED event"
case_ "seal re-signed by another trusted sender (NL's seal spliced into SI's payload)"
member_content pn.tar custos/seal.pb sealn
$PY splice p.tar custos/seal.pb sealn t.tar; rewrap
attack X.custos 1 "seal signature is invalid: it was not signed by the manifest's sender"
mkdir -m 700 trust-both
"$CUSTOS" trust add "$SI.pub" "$NL.pub" --trust-dir trust-both --allow-example-keys >/dev/null 2>&1
run verify X.custos -k "$NL.key" --trust-dir trust-both --allow-example-keys
expect_status 1; expect_stderr "not signed by the manifest's sender"

# ---- zstd frames and the end of the stream --------------------------------
zwrap() { age -r "$NL_AGE" <t.zst >X.custos; }
SKIP='\x50\x2a\x4d\x18\x04\x00\x00\x00abcd'
case_ "a zstd skippable frame prepended"
{ printf "$SKIP"; zstd -q -c p.tar; } >t.zst; zwrap; attack X.custos 1 "skippable frame"
case_ "a zstd skippable frame between two frames"
{ head -c 100000 p.tar | zstd -q -c; printf "$SKIP"; tail -c +100001 p.tar | zstd -q -c; } >t.zst
zwrap; attack X.custos 1 "skippable frame"
case_ "two ordinary zstd frames are one payload (control for the case above)"
{ head -c 100000 p.tar | zstd -q -c; tail -c +100001 p.tar | zstd -q -c; } >t.zst; zwrap
run verify X.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys
expect_status 0
case_ "non-zero data after the tar end-of-archive"
{ cat p.tar; printf 'X'; } | zstd -q -c >t.zst; zwrap
attack X.custos 1 "payload has data after the end of the tar archive"
case_ "zero padding beyond the 10240-byte record"
PAD=$(( ($(stat -c %s p.tar) + 10239) / 10240 * 10240 - $(stat -c %s p.tar) + 512 ))
{ cat p.tar; head -c "$PAD" /dev/zero; } | zstd -q -c >t.zst; zwrap
attack X.custos 1 "payload has data after the end of the tar archive"
case_ "a zstd frame of garbage after the last frame"
# Fixed bytes (random ones may also read as a dictionary frame, another error).
{ zstd -q -c p.tar; printf '\x28\xb5\x2f\xfd'; printf '\x20%.0s' $(seq 64); } >t.zst; zwrap
attack X.custos 1 "payload is not valid zstd"
case_ "bytes that are no zstd frame after the last frame"
{ zstd -q -c p.tar; printf 'trailing text'; } >t.zst; zwrap
attack X.custos 1 "payload is not valid zstd"

# ---- transport signature: custos check, no key --------------------------
case_ "check: intact bundle and its .sig"
run check B.custos --from "$SI.pub" --allow-example-keys
expect_status 0
case_ "check: bundle altered after sealing"
cp B.custos X.custos; cp B.custos.sig X.custos.sig; $PY flip X.custos $((SIZE - 5))
run check X.custos --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "X.custos: bundle file differs from the one its transport signature covers"
attack X.custos 1 "failed authentication"
case_ "check: .sig altered"
cp B.custos X.custos; cp B.custos.sig X.custos.sig; $PY flip X.custos.sig 100
run check X.custos --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "X.custos.sig"; expect_stderr "transport signature is invalid or not by"
attack X.custos 1 "transport signature is invalid or not by"
case_ "check: the .sig of another bundle"
cp B.custos X.custos; cp B2.custos.sig X.custos.sig
run check X.custos --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "bundle file differs from the one its transport signature covers"
attack X.custos 1 "X.custos.sig"
case_ "check --sig names another bundle's signature"
run check B.custos --sig B2.custos.sig --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "bundle file differs from the one its transport signature covers"
case_ "check --from another sender"
run check B.custos --from "$NL.pub" --allow-example-keys
expect_status 1; expect_stderr "transport signature is invalid or not by EXAMPLE Central Authority of the Netherlands"
rm -f X.custos.sig

finish
