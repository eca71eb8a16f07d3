#!/usr/bin/env bash
# A/B of the agent's start-up cost: two agent jars (say, main's and a branch's) on the same machine load. Each round
# starts the trivial StartupApp without an agent, with BEFORE_JAR and with AFTER_JAR, in rotating order, and prints
# the wall times and what each agent added. A shared machine's load moves between rounds: compare within rounds.
#
#   benchmarks/startup-ab.sh ROUNDS trivial|governed BEFORE_JAR AFTER_JAR
#
# Needs benchmarks/target/benchmarks.jar (see run.sh). JAVA: the JVM to start (default java on the PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 4 ] || { sed -n '2,8p' "$0"; exit 2; }
ROUNDS=$1 VARIANT=$2 BEFORE=$(realpath "$3") AFTER=$(realpath "$4")
JAVA=${JAVA:-java}
BENCH=$(realpath benchmarks/target/benchmarks.jar)
W=$(mktemp -d /tmp/magistrate-startup-ab.XXXXXX)
trap 'rm -rf "$W"' EXIT
# The application's three classes alone on its class path, as StartupCheck does.
(cd "$W" && mkdir app && cd app && unzip -q "$BENCH" dev/magistrate/benchmarks/StartupApp.class dev/magistrate/benchmarks/GovernedTool.class \
  dev/magistrate/annotations/GovernedAction.class)
for side in before after; do
  jar=$BEFORE; [ $side = after ] && jar=$AFTER
  "$JAVA" -Dmagistrate.agent.jar="$jar" -cp "$BENCH" dev.magistrate.benchmarks.GovernedCallSetup "$W/$side" > "$W/$side.arg"
  # The first start creates keys and the audit trail (and fills a jar cache): not counted.
  (cd "$W/$side" && "$JAVA" $(cat "$W/$side.arg") -cp "$W/app" dev.magistrate.benchmarks.StartupApp "$VARIANT" 2>/dev/null)
done
start() { # side (none|before|after): prints the wall time in ms
  local args="" dir=$W/before t0
  [ "$1" != none ] && args=$(cat "$W/$1.arg") && dir=$W/$1
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  (cd "$dir" && "$JAVA" $args -cp "$W/app" dev.magistrate.benchmarks.StartupApp "$VARIANT" > /dev/null 2>&1) || { echo "the start '$1' failed" >&2; return 1; }
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
for i in $(seq 1 "$ROUNDS"); do
  case $((i % 3)) in
    0) none=$(start none); before=$(start before); after=$(start after) ;;
    1) before=$(start before); after=$(start after); none=$(start none) ;;
    2) after=$(start after); none=$(start none); before=$(start before) ;;
  esac
  echo "$VARIANT round $i: without agent $none ms, before $before ms (adds $((before - none))), after $after ms (adds $((after - none)))"
done
