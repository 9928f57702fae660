package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LockPathTest {

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({
        "a,                 a",
        "a/b,               a/b",
        "./a//b,            a/b",
        "a/./b,             a/b",
        "a/x/../b,          a/b",
        "a/b/..,            a/",
        "a/b/.,             a/b/",
        "src/,              src/",
        "./src//,           src/",
        "src/**/*.ts,       src/**/*.ts",
        "./lib/?.c,         lib/?.c",
        "docs/[ab].md,      docs/[ab].md",
        "**,                **",
        "a/../b/../c,       c",
        "'with space/f',    with space/f",
        "ab:c,              ab:c",
    })
    void normalizesPaths(String raw, String normal) {
        // when
        LockPath path = LockPath.parse(raw);

        // then
        assertThat(path.value()).isEqualTo(normal);
        assertThat(path).hasToString(normal);
    }

    @ParameterizedTest
    @CsvSource({
        "/etc/passwd,   absolute",
        "'\\\\server\\share', absolute",
        "'C:\\x',       absolute",
        "c:/x,          absolute",
        "'a\\b',        use '/'",
        "..,            escapes",
        "../a,          escapes",
        "a/../../b,     escapes",
        "./..,          escapes",
        "'',            empty",
        "'   ',         empty",
        ".,             workspace itself",
        "./,            workspace itself",
        "a/..,          workspace itself",
        "src/*/../x,    after a glob",
    })
    void rejectsPathsItCannotLockSafely(String raw, String reason) {
        assertThatThrownBy(() -> LockPath.parse(raw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "a\nb", "tab\there", "del\u007f"})
    void rejectsControlCharacters(String raw) {
        assertThatThrownBy(() -> LockPath.parse(raw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control character");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> LockPath.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsOverlongPaths() {
        assertThatThrownBy(() -> LockPath.parse("a/".repeat(LockPath.MAX_LENGTH)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than");
    }

    @Test
    void trailingSlashMarksADirectory() {
        assertThat(LockPath.parse("src/").isDirectory()).isTrue();
        assertThat(LockPath.parse("src").isDirectory()).isFalse();
        assertThat(LockPath.parse("src/main/..").isDirectory()).isTrue();
    }

    @Test
    void globCharactersMakeAGlob() {
        assertThat(LockPath.parse("src/**/*.ts").isGlob()).isTrue();
        assertThat(LockPath.parse("a?.txt").isGlob()).isTrue();
        assertThat(LockPath.parse("[ab].txt").isGlob()).isTrue();
        assertThat(LockPath.parse("src/main.ts").isGlob()).isFalse();
    }

    @Test
    void constructorAcceptsOnlyTheNormalForm() {
        // given a normal form, it is accepted as is
        assertThat(new LockPath("a/b/").value()).isEqualTo("a/b/");

        // when given anything else, it points to parse
        assertThatThrownBy(() -> new LockPath("./a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LockPath.parse");
    }

    @Test
    void equalPathsAfterNormalizationAreEqualValues() {
        assertThat(LockPath.parse("./a//b")).isEqualTo(LockPath.parse("a/x/../b"));
    }
}
