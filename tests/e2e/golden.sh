# Golden files for the e2e tests: a command's whole result (exit code, stdout, stderr) is
# compared with $GOLDEN_DIR/NAME.txt, after sed has replaced what varies from run to run
# (GOLDEN_SED: the test's generated names, digests, times). On a mismatch the test fails
# with the diff.
#
# After an intended change of output, regenerate the files and review them in git:
#   UPDATE_GOLDEN=1 bash tests/e2e/plugin.sh build/operator/mlmodel-operator build/operator/kubectl-mlmodel
#   git diff tests/e2e/golden
# In that mode the first result of each NAME is written and later ones (the same output
# reached another way) are still compared with it.
#
# Source after tests/e2e/lib.sh. The test sets GOLDEN_DIR, GOLDEN_SED (sed -E expressions)
# and optionally GOLDEN_FAIL (the function that fails the test; default fail).

GOLDEN_SED=()
declare -A GOLDEN_WRITTEN

# golden_result CMD...: CMD's exit code, stdout and stderr, normalised, on stdout. Lines of
# stderr matching $GOLDEN_DROP (an ERE; none by default) are left out: `wait` reports each
# state it passes through, and how many it sees depends on timing.
golden_result() {
  local rc=0 out="$E2E_TMP/golden.out" err="$E2E_TMP/golden.err" args=() e
  "$@" >"$out" 2>"$err" </dev/null || rc=$?
  for e in "${GOLDEN_SED[@]}"; do args+=(-e "$e"); done
  [ ${#args[@]} -gt 0 ] || args=(-e '')
  {
    echo "--- exit $rc"
    echo "--- stdout"
    sed -E "${args[@]}" "$out"
    echo "--- stderr"
    if [ -n "${GOLDEN_DROP:-}" ]; then grep -Ev "$GOLDEN_DROP" "$err" || true; else cat "$err"; fi |
      sed -E "${args[@]}"
  } >"$E2E_TMP/golden.got"
}

# golden_compare NAME: 0 when the last result matches NAME's golden file (or was written as
# it, under UPDATE_GOLDEN=1).
golden_compare() {
  local want="$GOLDEN_DIR/$1.txt"
  if [ "${UPDATE_GOLDEN:-}" = 1 ] && [ -z "${GOLDEN_WRITTEN[$1]:-}" ]; then
    mkdir -p "$GOLDEN_DIR" && cp "$E2E_TMP/golden.got" "$want"
    GOLDEN_WRITTEN[$1]=1
    echo "   wrote $want"
    return 0
  fi
  [ -f "$want" ] && cmp -s "$want" "$E2E_TMP/golden.got"
}

golden_fail() {
  "${GOLDEN_FAIL:-fail}" "$2 does not give what $GOLDEN_DIR/$1.txt holds (- want, + got):
$(diff -u "$GOLDEN_DIR/$1.txt" "$E2E_TMP/golden.got" 2>&1 | tail -n +3)"
}

# golden_check NAME CMD...: run CMD once; its result must match NAME's golden file.
golden_check() {
  local name=$1; shift
  golden_result "$@"
  golden_compare "$name" || golden_fail "$name" "$*"
}

# golden_poll SECONDS NAME CMD...: for output that converges (a rollout's state), run CMD
# until its result matches NAME's golden file; fail with the last diff after SECONDS.
golden_poll() {
  local limit=$1 name=$2; shift 2
  local end=$((SECONDS + limit))
  until golden_result "$@" && golden_compare "$name"; do
    [ $SECONDS -lt "$end" ] || golden_fail "$name" "$*"
    sleep 0.5
  done
}
