#!/usr/bin/env bash
# The ops agent with YOU as the approver: it prints the web console's URL; open it, sign in as one of the
# sample's approvers (DEMO passwords and TOTP secrets: demo-approvers.txt) and approve, deny or ask.
# Build first with the README's demo command (it builds the agent jar and this sample).
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -f target/classpath.txt || ! -f ../../javaagent/target/magistrate-agent.jar ]]; then
  echo "build first, from the repository root: mvn -B -q -ntp -Pdemo -DskipTests verify" >&2
  exit 2
fi
cp=$(cat target/classpath.txt)
rm -rf target/demo-run
exec java -javaagent:../../javaagent/target/magistrate-agent.jar=config=magistrate.yaml \
  -cp "target/classes:$cp" dev.magistrate.samples.ops.OpsAgent --interactive
