package hive.plan;

/** The text formats a plan may be written in. */
public enum PlanFormat {
    JSON,
    YAML;

    /** YAML for {@code .yaml}/{@code .yml} files, JSON otherwise. */
    public static PlanFormat ofFileName(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml") ? YAML : JSON;
    }
}
