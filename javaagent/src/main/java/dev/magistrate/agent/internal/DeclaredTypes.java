package dev.magistrate.agent.internal;

import dev.magistrate.intent.ArgumentSnapshots;
import net.bytebuddy.description.type.TypeDefinition;
import net.bytebuddy.description.type.TypeDescription;

/** {@link ArgumentSnapshots}' rules on a declared type the agent sees before its class loads. */
final class DeclaredTypes {

    private DeclaredTypes() {
    }

    /** Why values of this declared parameter type cannot be snapshotted, or null when they can. */
    static String unsupported(TypeDefinition declared) {
        TypeDescription t = declared.asErasure();
        if (t.isPrimitive() || t.isEnum() || ArgumentSnapshots.isKeptOrCopied(t.getName())) return null;
        if (t.getPackage() != null && t.getPackage().getName().equals("java.time") && !t.isInterface()) return null;
        if (t.isArray()) return unsupported(t.getComponentType());
        if (t.isRecord()) {
            for (var c : t.getRecordComponents()) {
                String why = unsupported(c.getType());
                if (why != null) return why;
            }
            return null;
        }
        return ArgumentSnapshots.mutable(t.getName());
    }
}
