#!/usr/bin/env bash
# The LangChain4j assistant under the agent: a scripted model asks to scale web to 200, the policy denies it (the
# denial reaches the model as the tool's result), and the model scales to 25 instead.
# Build first, from the repository root: mvn -B -q -ntp -Pdemo -DskipTests verify
set -euo pipefail
cd "$(dirname "$0")"
agent=../../javaagent/target/magistrate-agent.jar
if [[ ! -f target/classpath.txt || ! -f $agent ]]; then
  echo "build first, from the repository root: mvn -B -q -ntp -Pdemo -DskipTests verify" >&2
  exit 2
fi
rm -rf target/demo-run
exec java -javaagent:$agent=config=magistrate.yaml -cp "target/classes:$(cat target/classpath.txt)" \
  dev.magistrate.samples.langchain4j.OpsAssistant
