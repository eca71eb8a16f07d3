#!/usr/bin/env bash
# The ops agent with YOU as the approver desk: each request is shown and you approve or deny it.
# Build first with the README's demo command (it builds the agent jar and this sample).
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
cp=$(cat target/classpath.txt)
rm -rf target/demo-run
exec java -javaagent:../../javaagent/target/magistrate-agent.jar=config=magistrate.yaml \
  -cp "target/classes:$cp" dev.magistrate.samples.ops.OpsAgent --interactive
