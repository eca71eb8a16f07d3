package dev.magistrate.audit;

/** When the audit log forces its cycle file to stable storage. See docs/audit-trail.md. */
public enum Durability {
    /** Appends land in memory-mapped pages: they survive a process kill, not a power loss. */
    MAPPED,
    /** The cycle file is fsynced whenever a checkpoint is written (and on close). */
    SYNC_AT_CHECKPOINT,
    /** The cycle file is fsynced before every append returns: survives power loss, costs a disk flush per entry. */
    SYNC_EACH_APPEND
}
