package com.sun.acme;

import dev.magistrate.annotations.GovernedAction;

/** An application class whose package happens to start like the JDK's: governed like any other. */
public class AcmeTools {

    @GovernedAction("db_query")
    public String query(String table, String sql) {
        return "ran " + sql;
    }
}
