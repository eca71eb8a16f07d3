/**
 * Not API: the condition language's lexer, parser, checker, interpreter and value semantics, which
 * the compiler and the generated classes use. Names and signatures here change without notice.
 */
package dev.magistrate.policy.internal;
