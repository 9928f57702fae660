package hive;

import java.security.SecureRandom;

/** Server-made ids: a prefix ({@code sw_}, {@code ag_}) and random letters and digits that cannot be confused. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] CHARS = "abcdefghijkmnopqrstuvwxyz23456789".toCharArray();

    private Ids() {
    }

    /** {@code prefix} followed by {@code length} random characters (33 possible each). */
    public static String make(String prefix, int length) {
        char[] id = new char[length];
        for (int i = 0; i < length; i++) {
            id[i] = CHARS[RANDOM.nextInt(CHARS.length)];
        }
        return prefix + new String(id);
    }
}
