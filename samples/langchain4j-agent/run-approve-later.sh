#!/usr/bin/env bash
# The LangChain4j assistant with approve later: scaling web to 40 needs a person, so the tool answers "pending" at
# once and the conversation goes on; approve the request (see README.md, "Approve later"), then press Enter: the
# model makes the same call again, which runs it, once.
# Build first, from the repository root: mvn -B -q -ntp -Pdemo -DskipTests verify
set -euo pipefail
cd "$(dirname "$0")"
agent=../../javaagent/target/magistrate-agent.jar
if [[ ! -f target/classpath.txt || ! -f $agent ]]; then
  echo "build first, from the repository root: mvn -B -q -ntp -Pdemo -DskipTests verify" >&2
  exit 2
fi
rm -rf target/approve-later-run
exec java -javaagent:$agent=config=approve-later/magistrate.yaml -cp "target/classes:$(cat target/classpath.txt)" \
  dev.magistrate.samples.langchain4j.OpsAssistant approve-later
