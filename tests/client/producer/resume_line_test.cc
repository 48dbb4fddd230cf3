// ParseResumeLine: complete lines, prefixes worth waiting for, and bytes that end the wait.
#include "client/producer/resume_line.h"

#include <gtest/gtest.h>

#include <string>

namespace ec::producer {
namespace {

using State = ResumeParse::State;

TEST(ResumeLineTest, ParsesCompleteLine) {
  const ResumeParse parse = ParseResumeLine("RESUME 1234\n");
  EXPECT_EQ(parse.state, State::kResume);
  EXPECT_EQ(parse.seq, 1234u);
  EXPECT_EQ(parse.line_bytes, 12u);
}

TEST(ResumeLineTest, AcceptsCarriageReturnAndExtraSpaces) {
  EXPECT_EQ(ParseResumeLine("RESUME 7\r\n").seq, 7u);
  EXPECT_EQ(ParseResumeLine("RESUME   7\n").seq, 7u);
  EXPECT_EQ(ParseResumeLine("RESUME 7\r\n").state, State::kResume);
}

// Found by tests/fuzz/resume_line_fuzzer: a complete line longer than kMaxResumeLineBytes (here
// padded with spaces) was accepted, though a prefix that long is refused.
TEST(ResumeLineTest, ALineLongerThanTheMaximumIsNotAResumeLine) {
  const std::string line = "RESUME" + std::string(70, ' ') + "42\n";
  EXPECT_EQ(ParseResumeLine(line).state, ResumeParse::State::kNotResume);
  const std::string longest = "RESUME" + std::string(kMaxResumeLineBytes - 9, ' ') + "42\n";
  ASSERT_EQ(longest.size(), kMaxResumeLineBytes);
  EXPECT_EQ(ParseResumeLine(longest).state, ResumeParse::State::kResume);
  EXPECT_EQ(ParseResumeLine(longest).seq, 42u);
}

TEST(ResumeLineTest, IgnoresBytesAfterTheLine) {
  const ResumeParse parse = ParseResumeLine("RESUME 5\nhello");
  EXPECT_EQ(parse.state, State::kResume);
  EXPECT_EQ(parse.seq, 5u);
  EXPECT_EQ(parse.line_bytes, 9u);
}

TEST(ResumeLineTest, PrefixesAreIncomplete) {
  for (const std::string prefix :
       {"", "R", "RESUM", "RESUME", "RESUME ", "RESUME 12", "RESUME 12\r"}) {
    EXPECT_EQ(ParseResumeLine(prefix).state, State::kIncomplete) << '"' << prefix << '"';
  }
}

TEST(ResumeLineTest, OtherBytesAreNotResume) {
  for (const std::string text : {"hello\n", "resume 5\n", "RESUMEX", "RESUME x\n", "RESUME 5x\n",
                                 "RESUME \n", "RESUME -1\n", "GET / HTTP/1.1\r\n"}) {
    EXPECT_EQ(ParseResumeLine(text).state, State::kNotResume) << '"' << text << '"';
  }
}

TEST(ResumeLineTest, LargestSeqParsesAndOverflowIsRejected) {
  EXPECT_EQ(ParseResumeLine("RESUME 18446744073709551615\n").seq, UINT64_MAX);
  EXPECT_EQ(ParseResumeLine("RESUME 18446744073709551616\n").state, State::kNotResume);
}

TEST(ResumeLineTest, OverlongPrefixIsNotResume) {
  EXPECT_EQ(ParseResumeLine("RESUME " + std::string(kMaxResumeLineBytes, ' ')).state,
            State::kNotResume);
}

TEST(ResumeLineTest, FormatRoundTrips) {
  EXPECT_EQ(FormatResumeLine(42), "RESUME 42\n");
  EXPECT_EQ(ParseResumeLine(FormatResumeLine(UINT64_MAX)).seq, UINT64_MAX);
}

}  // namespace
}  // namespace ec::producer
