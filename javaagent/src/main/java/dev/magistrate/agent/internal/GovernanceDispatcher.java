package dev.magistrate.agent.internal;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.bootstrap.IntentContext;
import dev.magistrate.bootstrap.MagistrateBridge;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.ToolCalls;
import dev.magistrate.engine.ToolMethod;

import java.util.ArrayDeque;

/**
 * What the bridge calls: turns a call into an intent, waits for the governor's warrant, verifies it
 * against the actual arguments, and afterwards confirms the outcome. Calls of governed methods from
 * inside governed methods get their own intents, linked to the outer one by parent id.
 */
record GovernanceDispatcher(GovernedMethods methods, Magistrate magistrate, String unavailable, ClassLoader agentLoader)
        implements MagistrateBridge.Dispatcher {

    /** The governed calls open on this thread, innermost first. */
    private static final ThreadLocal<ArrayDeque<ToolCalls.Runs>> FRAMES = ThreadLocal.withInitial(ArrayDeque::new);

    /**
     * {@code magistrate} is null when the engine could not start; {@code unavailable} then says why. A
     * record, so that its fields cannot be set by reflection from the application.
     */
    GovernanceDispatcher(GovernedMethods methods, Magistrate magistrate, String unavailable) {
        this(methods, magistrate, unavailable, GovernanceDispatcher.class.getClassLoader());
    }

    @Override
    public Object enter(int methodId, Object target, Object[] args) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Chronicle, Jackson and ServiceLoader look at the context loader: they must see the agent's classes.
        thread.setContextClassLoader(agentLoader);
        try {
            return govern(methodId, target, args);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private Object govern(int methodId, Object target, Object[] args) {
        ToolMethod m = methods.get(methodId);
        if (m == null) throw new CallDeniedException("DENIED: Magistrate does not know this governed method (id " + methodId + ").");
        ToolCalls.Admission a = ToolCalls.admit(magistrate, unavailable, m, target, args, parentIntentId(), null);
        if (a instanceof ToolCalls.Stopped stopped) return stopped.returnOrThrow();
        ToolCalls.Runs runs = (ToolCalls.Runs) a;
        FRAMES.get().push(runs);
        IntentContext.opened(runs.intent().id());
        return null;
    }

    /** The innermost governed call open on this thread, else the one whose asynchronous work this thread runs. */
    private static String parentIntentId() {
        ArrayDeque<ToolCalls.Runs> frames = FRAMES.get();
        return frames.isEmpty() ? IntentContext.inherited() : frames.peek().intent().id();
    }

    @Override
    public String currentIntentId() {
        return parentIntentId();
    }

    @Override
    public Object exit(Object returned, Throwable thrown) {
        ArrayDeque<ToolCalls.Runs> frames = FRAMES.get();
        ToolCalls.Runs call = frames.poll();
        if (call == null) return returned;
        IntentContext.closed(frames.isEmpty() ? null : frames.peek().intent().id());
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(agentLoader);
        try {
            ToolCalls.ran(call, returned, thrown); // the call already ran: a failing audit must not change what it returns
        } finally {
            thread.setContextClassLoader(previous);
        }
        return returned;
    }
}
