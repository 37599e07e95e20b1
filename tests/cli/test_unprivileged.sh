#!/usr/bin/env bash
# What only an ordinary user meets (the tests otherwise run as root here, and
# root reads and lists everything): a drop-box directory the user may write
# into but not list (mode 0300), and evidence the user may not read. As root
# the commands run as `nobody` through setpriv; without setpriv the whole file
# reports itself skipped.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || { echo "SKIP: setpriv is missing (needed to run as nobody)"; exit 77; }
  AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
  AS=()
fi
chmod 711 "$T"
U="$T/u"; mkdir -p "$U/home"; chmod 700 "$U/home"
cp "$EXAMPLES"/si-central-authority.key "$EXAMPLES"/nl-central-authority.pub \
  "$EXAMPLES"/nl-central-authority.key "$EXAMPLES"/si-central-authority.pub "$U/"
[ "$(id -u)" -eq 0 ] && chown -R nobody "$U"
cd "$U" || exit 1
NL_FP=$("$CUSTOS" key fingerprint nl-central-authority.pub)
# as_user CMD...: custos as the ordinary user, status in STATUS.
as_user() {
  "${AS[@]}" env CUSTOS_HOME="$U/home" "$CUSTOS" "$@" >"$OUT" 2>"$ERR" </dev/null
  STATUS=$?
}
seal_to() {
  local out=$1; shift
  as_user seal -q -k si-central-authority.key -r nl-central-authority.pub \
    --recipient-fingerprint "$NL_FP" --allow-example-keys --case KT-1 -o "$out" "$@"
}
"${AS[@]}" sh -c 'echo "witness statement" > ev.txt && mkdir drop && chmod 0300 drop'

case_ "seal into a drop box (0300): exit 0, the bundle and its .sig in place"
seal_to drop/b.custos ev.txt
expect_status 0
chmod 0700 drop
expect_file drop/b.custos; expect_file drop/b.custos.sig
run check drop/b.custos --from "$EXAMPLES/si-central-authority.pub" --allow-example-keys
expect_status 0
expect_no_stray "$U"
chmod 0300 drop

case_ "keygen into a drop box: both files, no error"
as_user keygen --name "Drop Box Clerk" --out drop/clerk --no-passphrase
expect_status 0
chmod 0700 drop
expect_file drop/clerk.key; expect_file drop/clerk.pub
chmod 0300 drop

case_ "seal --custody creating a log in a drop box: exit 0 and the log holds SEALED"
seal_to b2.custos --custody drop/new.log ev.txt
expect_status 0
chmod 0700 drop
run custody verify drop/new.log --allow-example-keys
expect_status 0
expect_stdout "1 events"

case_ "seal --custody whose SEALED cannot be appended: bundle complete, and still in the sent register"
"${AS[@]}" sh -c 'cp drop/new.log ro.log && chmod 0444 ro.log'
before=$(ls "$U/home/sent" 2>/dev/null | wc -l)
seal_to b3.custos --custody ro.log ev.txt
expect_status 4
expect_stderr "bundle b3.custos is complete, but its SEALED event could not be appended to ro.log"
expect_file b3.custos; expect_file b3.custos.sig
after=$(ls "$U/home/sent" 2>/dev/null | wc -l)
if [ "$after" -eq $((before + 1)) ]; then ok; else fail "sent register: $before records before, $after after"; fi

case_ "evidence the user may not read: exit 4, the sentence, nothing written"
"${AS[@]}" sh -c 'echo secret > closed.txt && chmod 000 closed.txt'
seal_to c.custos closed.txt
expect_status 4
expect_stderr "closed.txt: Permission denied"
expect_no_file c.custos; expect_no_file c.custos.sig
expect_no_stray "$U"

# A umask with owner bits (0277) takes the owner's write bit from every
# directory mkdir makes; open's staging directories get it back, and every
# entry still ends with the manifest's mode.
case_ "open under umask 0277 as an ordinary user: exit 0, the manifest's modes"
"${AS[@]}" sh -c 'mkdir ev2 ev2/d && echo a > ev2/d/f644 && chmod 644 ev2/d/f644 &&
  echo b > ev2/f600 && chmod 600 ev2/f600 && chmod 750 ev2/d'
seal_to u.custos ev2
expect_status 0
"${AS[@]}" sh -c "umask 0277 && CUSTOS_HOME='$U/home' '$CUSTOS' open -q u.custos \
  -k nl-central-authority.key --from si-central-authority.pub --allow-example-keys \
  --acknowledge -o u.out" >"$OUT" 2>"$ERR" </dev/null
STATUS=$?
expect_status 0
modes=$(cd u.out/data/ev2 2>/dev/null && stat -c '%n %a' d d/f644 f600 | tr '\n' ';')
if [ "$modes" = "d 750;d/f644 644;f600 600;" ]; then ok; else fail "modes under umask 0277: $modes"; fi
if [ "$(cat u.out/data/ev2/d/f644 2>/dev/null)" = a ]; then ok; else fail "u.out/data/ev2/d/f644 differs"; fi
expect_no_stray "$U"

finish
