package dev.magistrate.agent.internal;

import dev.magistrate.bootstrap.MagistrateBridge;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Inlined into every governed method. It refers only to {@link MagistrateBridge}, which the
 * bootstrap loader serves to every class, and to a constant method id: nothing of the agent's own
 * class loader ever becomes visible to the application.
 */
final class GovernedAdvice {

    private GovernedAdvice() {
    }

    /**
     * Blocks until the call is authorised; a non-null result is a fallback value and skips the body. The
     * dispatcher replaces the arguments by immutable snapshots, which the body then receives: it runs on
     * exactly the values that were decided on. {@code self} is passed on because a tool's rollback runs on the same object.
     */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Object enter(@MethodId int methodId, @Advice.This(optional = true) Object self,
                        @Advice.AllArguments(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object[] args) {
        Object[] snapshot = args.clone();
        Object fallback = MagistrateBridge.enter(methodId, self, snapshot);
        args = snapshot;
        return fallback;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    static void exit(@Advice.Enter Object fallback,
                     @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object returned,
                     @Advice.Thrown Throwable thrown) {
        if (fallback != null) {
            returned = fallback;
        } else {
            returned = MagistrateBridge.exit(returned, thrown);
        }
    }
}
