package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class LockPathPropertyTest {

    @Provide
    Arbitrary<String> rawPaths() {
        return Arbitraries.of("a", "b", ".", "..", "/", "//", "*", "**", "x.ts").list().ofMinSize(1).ofMaxSize(10)
                .map(parts -> String.join("", parts));
    }

    @Property(tries = 2000)
    void aParsedPathIsInNormalFormAndParsesToItself(@ForAll("rawPaths") String raw) {
        LockPath path;
        try {
            path = LockPath.parse(raw);
        } catch (IllegalArgumentException refused) {
            return;
        }
        String value = path.value();
        assertThat(value).doesNotStartWith("/").doesNotContain("//");
        assertThat(("/" + value + "/").replace("//", "/"))
                .as("no . or .. segment in %s", value)
                .doesNotContain("/./").doesNotContain("/../");
        assertThat(LockPath.parse(value)).isEqualTo(path);
        String lastSegment = raw.substring(raw.lastIndexOf('/') + 1);
        assertThat(path.isDirectory()).isEqualTo(
                lastSegment.isEmpty() || lastSegment.equals(".") || lastSegment.equals(".."));
    }
}
