package dev.magistrate.approval;

import dev.magistrate.policy.LowerCaseWireName;

/** An approver's answer: approve (possibly with edited arguments), deny, or ask the agent for more information. */
public enum Verdict implements LowerCaseWireName {
    APPROVE, DENY, MORE_INFO;
}
