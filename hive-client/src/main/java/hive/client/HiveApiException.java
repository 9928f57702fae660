package hive.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The server answered with an error: an {@code application/problem+json} document (RFC 9457,
 * API.md "Conventions") read into its {@link #status()}, {@link #type()}, {@link #title()},
 * {@link #detail()} and every other field ({@link #fields()}): {@code field} for a bad request
 * field, {@code errors} and {@code cycle} for a rejected plan, {@code reason} for a task that
 * may not start... An error answer that is not a problem document (from a proxy, say) is read as
 * one with type {@code about:blank} and the start of its body as detail.
 *
 * <p>The refusals of a lock acquire ({@code 409} with {@code conflicts} or {@code deadlock}) are
 * not thrown: {@link HiveClient#acquire} returns them as {@link LockResult}s.
 */
public class HiveApiException extends HiveClientException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String title;
    private final String detail;
    private final String method;
    private final String path;
    private final transient Map<String, Object> fields;

    public HiveApiException(String method, String path, int status, String type, String title, String detail,
            Map<String, Object> fields) {
        super(method + " " + path + ": " + status + " " + title + (detail == null || detail.isEmpty() ? ""
                : ": " + detail));
        this.method = method;
        this.path = path;
        this.status = status;
        this.type = type;
        this.title = title;
        this.detail = detail;
        this.fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The HTTP status: 400, 401, 403, 404, 409, 413, 503... */
    public int status() {
        return status;
    }

    /** The problem type, a URI ({@code https://hivemind.dev/problems/not-found}) or {@code about:blank}. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    /** What went wrong, for a human; names the field for a bad request. */
    public String detail() {
        return detail;
    }

    /** The method of the request that failed. */
    public String method() {
        return method;
    }

    /** The path (and query) of the request that failed. */
    public String path() {
        return path;
    }

    /**
     * The problem's fields beyond {@code type}, {@code title}, {@code status} and {@code detail},
     * as JSON values read into maps, lists, strings, numbers and booleans.
     */
    public Map<String, Object> fields() {
        return fields;
    }

    /** The request field at fault ({@code field} of a 400), if named. */
    public Optional<String> field() {
        return string("field");
    }

    /** Why a task may not start ({@code reason} of a 409), if given. */
    public Optional<String> reason() {
        return string("reason");
    }

    /** Every problem of a rejected plan ({@code errors} of a 400); empty for other problems. */
    public List<PlanError> errors() {
        return fields.get("errors") instanceof List<?> list ? list.stream().map(HiveApiException::planError)
                .toList() : List.of();
    }

    /** The dependency cycle of a rejected plan ({@code cycle}: {@code [a, b, a]}); empty if none. */
    public List<String> cycle() {
        return strings(fields.get("cycle"));
    }

    private Optional<String> string(String name) {
        return fields.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    private static PlanError planError(Object entry) {
        if (!(entry instanceof Map<?, ?> map)) {
            return new PlanError(null, null, String.valueOf(entry), List.of());
        }
        return new PlanError(text(map.get("task")), text(map.get("field")), text(map.get("problem")),
                strings(map.get("cycle")));
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }
}
