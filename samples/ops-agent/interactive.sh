#!/usr/bin/env bash
# The ops agent with YOU as the approver: it prints the web console's URL; open it, sign in as one of the
# sample's approvers (DEMO passwords and TOTP secrets: demo-approvers.txt) and approve, deny or ask.
# Runs the README's demo build with --interactive instead of the scripted desk (no 'mvn install' needed);
# after the agent's last call it prints the audit timeline and verifies the log, as the demo does.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec mvn -B -q -ntp -Pdemo -DskipTests verify -pl samples/ops-agent -am -Dinteractive=--interactive "$@"
