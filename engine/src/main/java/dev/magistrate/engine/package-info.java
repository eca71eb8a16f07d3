/**
 * Start here: {@link dev.magistrate.engine.Magistrate#open} assembles the engine from one
 * {@link dev.magistrate.engine.MagistrateSettings}; {@code admit(intent)} governs one call. The other
 * public packages are what its methods hand out or take: {@code intent} (the call), {@code governor}
 * (executions, denials, the lower-level governor), {@code approval} (the backend SPI and approvers),
 * {@code warrant}, {@code keys} and {@code audit} (reading, verifying and proving the log).
 */
package dev.magistrate.engine;
