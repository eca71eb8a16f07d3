package dev.magistrate.approval;

import dev.magistrate.policy.LowerCaseWireName;

public enum Verdict implements LowerCaseWireName {
    APPROVE, DENY;
}
