package hive.plan;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads and validates plans, the only way to make {@link Plan}s and {@link TaskSpec}s from user
 * input. Every method either returns fully validated values (defaults applied, paths normalized,
 * no duplicate ids, every dependency known, no cycles) or throws {@link PlanRejected} listing
 * every problem found, never just the first. A dependency cycle is reported once per strongly
 * connected component, as a closed path in which each task depends on the next
 * ({@code a → b → c → a}: a waits for b, b for c, c for a), starting at the component's first
 * task in plan order. Thread-safe.
 */
public final class Plans {

    /** Large enough for a 100,000-task plan in YAML; snakeyaml's own default is 3 MB. */
    private static final int YAML_CODE_POINT_LIMIT = 256 * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final ObjectMapper YAML = YAMLMapper.builder(yamlFactory())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private static final Pattern DUPLICATE_FIELD = Pattern.compile("Duplicate field '([^']*)'");

    private Plans() {}

    /**
     * Parses and validates a plan written as JSON or YAML. Text that is not well-formed JSON or
     * YAML is one problem, naming the line and column where reading stopped.
     */
    public static Plan parse(String text, PlanFormat format) {
        return parse(tree(text, format));
    }

    /** Validates a plan already read into a JSON tree. */
    public static Plan parse(JsonNode plan) {
        return new PlanValidator().plan(plan);
    }

    /**
     * Validates tasks to be added to a live swarm: the same checks as for a plan's tasks, against
     * the swarm's existing tasks too. A new task may depend on existing tasks and on other new
     * ones; a new id that already exists is a duplicate.
     *
     * @param tasksArray  the JSON array of the new tasks
     * @param defaults    the swarm's defaults, applied to the new tasks
     * @param existingIds given a set of ids, returns those that already exist in the swarm; called
     *     once, with every new id and every id a new task depends on
     * @return the new tasks, in the order given
     */
    public static List<TaskSpec> parseAddition(JsonNode tasksArray, PlanDefaults defaults,
            Function<Set<String>, Set<String>> existingIds) {
        return new PlanValidator().addition(tasksArray, defaults, existingIds);
    }

    /** The JSON tree of {@code text}; malformed text is rejected with its location. */
    static JsonNode tree(String text, PlanFormat format) {
        try {
            if (format == PlanFormat.JSON) {
                return JSON.readTree(text);
            }
            try (JsonParser parser = new NoAliases((YAMLParser) YAML.createParser(text))) {
                JsonNode tree = YAML.readTree(parser);
                return tree == null ? YAML.missingNode() : tree;
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? ""
                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new PlanRejected(List.of(PlanProblem.ofPlan(null,
                    "malformed " + format + where + ": " + reason(e))));
        } catch (IOException e) {
            throw new UncheckedIOException("reading a plan from memory failed", e);
        }
    }

    /**
     * A YAML parser that refuses aliases ({@code *name}): Jackson does not resolve them, it reads
     * the alias as the text {@code name}, so {@code run: *build} would run the command {@code build}.
     */
    private static final class NoAliases extends JsonParserDelegate {

        private final YAMLParser yaml;

        NoAliases(YAMLParser yaml) {
            super(yaml);
            this.yaml = yaml;
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = super.nextToken();
            if (yaml.isCurrentAlias()) {
                throw new JsonParseException(yaml, "YAML aliases are not supported (*" + yaml.getText()
                        + "): write the value out in full", yaml.currentTokenLocation());
            }
            return token;
        }
    }

    /**
     * Jackson's and snakeyaml's message made one short line: snakeyaml's indented location and
     * excerpt lines are dropped (the location is reported already).
     */
    private static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        Matcher duplicate = DUPLICATE_FIELD.matcher(message);
        if (duplicate.lookingAt()) {
            return "duplicate field '" + duplicate.group(1) + "'";
        }
        if (message.startsWith("Trailing token")) {
            return "more content after the end of the plan";
        }
        String line = message.lines()
                .filter(text -> !text.isBlank() && !Character.isWhitespace(text.charAt(0)))
                .collect(Collectors.joining(": "));
        if (line.isEmpty()) {
            return "unreadable input";
        }
        return line.length() <= 200 ? line : line.substring(0, 197) + "...";
    }

    private static YAMLFactory yamlFactory() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(YAML_CODE_POINT_LIMIT);
        return YAMLFactory.builder().loaderOptions(options).build();
    }
}
