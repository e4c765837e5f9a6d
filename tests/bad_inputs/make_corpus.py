"""Writes the bad-input corpus of tests/bad_inputs/ (run from anywhere; output is committed).

Each file is something that breaks tools like reportgen in real use; cases.json says what
each must give: an error (exact sentence and line) or, for inputs that only look odd
(BOM, CRLF, mixed endings, an interrupted log), a successful ingest."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from logwriter import LogItem, write_log  # noqa: E402

H = "question,context,true_answer,base_model_answer,finetuned_model_answer"
ROW = "What is X?,Paper A,ref,base,ft"
LOG = write_log([LogItem("BASE"), LogItem("FINE_TUNED"), LogItem("BASE", question="Q2?")])
JL = '{"item": "1", "winner": "base"}'
AE = ('{"instruction": "q", "output_1": "a", "generator_1": "m1", "output_2": "b", "generator_2": "m2", '
      '"dataset": "d", "preference": 1.7}')
AH = '{"question_id": "q1", "model": "mx", "judge": "j", "games": [{"score": "A>B"}, {"score": "B>A"}]}'
MTB = ('{"question_id": 1, "model_1": "a", "model_2": "b", "g1_winner": "model_1", "g2_winner": "tie", '
       '"judge": ["gpt-4", "pair-v2"], "turn": 1}')

FILES: dict[str, str | bytes] = {
    # items CSV
    "empty.csv": b"",
    "whitespace_only.csv": "  \n\n\t\n",
    "binary_garbage.csv": bytes(range(256)) * 4,
    "utf16.csv": f"{H}\n{ROW}\n".encode("utf-16"),
    "latin1.csv": f"{H}\nCaf\xe9?,Paper A,ref,base,ft\n".encode("latin-1"),
    "header_only.csv": f"{H}\n",
    "missing_columns.csv": "question,context,true_answer\nq,p,r\n",
    "duplicate_columns.csv": f"{H},context\nq,p,r,b,f,p\n",
    "ragged_row.csv": f"{H}\n{ROW}\nq2,p,r,b\n",
    "unterminated_quote.csv": f'{H}\n{ROW}\n"q2,p,r,b,f\nq3,p,r,b,f\n',
    "empty_answer.csv": f"{H}\n{ROW}\nq2,p,r,,f\n",
    "empty_question.csv": f'{H}\n"  ",p,r,b,f\n',
    "empty_paper.csv": f"{H}\n{ROW}\nq2,,r,b,f\n",
    "duplicate_ids.csv": f"id,{H}\n1,q1,p,r,b,f\n1,q2,p,r,b,f\n",
    "duplicate_id_after_empty_line.csv": f"id,{H}\n1,q1,p,r,b,f\n\n2,q2,p,r,b,f\n1,q3,p,r,b,f\n",
    "duplicate_ids_spaced.csv": f"id,{H}\n1,q1,p,r,b,f\n 1 ,q2,p,r,b,f\n",
    "empty_id.csv": f"id,{H}\n1,q1,p,r,b,f\n,q2,p,r,b,f\n",
    "blank_id.csv": f'id,{H}\n1,q1,p,r,b,f\n"  ",q2,p,r,b,f\n',
    "unicode_space_id.csv": f"id,{H}\n1,q1,p,r,b,f\n\u00a0\u3000,q2,p,r,b,f\n",
    "id_already_in_run.csv": f"id,{H}\n900,q1,p,r,b,f\n4,q2,p,r,b,f\n",
    "duplicate_questions.csv": f"{H}\n{ROW}\n{ROW}\n",
    "no_header.csv": f"{ROW}\nq2,p,r,b,f\n",
    "semicolon_delimited.csv": H.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n",
    "nul_in_field.csv": f"{H}\nq\x00,p,r,b,f\n",
    "bom.csv": f"\ufeff{H}\n{ROW}\n",
    "crlf.csv": f"{H}\r\n{ROW}\r\n\"multi\r\nline\",p,r,b,f\r\n",
    # DuckDB's strict reader reads no rows (and no error) when the last row has a field too many
    "extra_field_last_row.csv": f"id,{H}\n1,q1,p,r,b,f\n2,q2,p,r,b,f\n3,q3,p,r,b,f,EXTRA\n",
    # a NUL past the first bytes that check_readable sniffs
    "nul_late.csv": f"{H}\n" + "".join(f"q{i},p,r,b,f\n" for i in range(60)) + "q\x00,p,r,b,f\n",
    "mixed_line_endings.csv": f"{H}\r\n{ROW}\nq2,p,r,b,f\r\n",
    # judge logs
    "log_only_header.judge.log": "Loaded 3 finetune entries from items.csv\n",
    "log_truncated_mid_transcript.judge.log": LOG[: LOG.index("base answer")],
    "log_unknown_winner.judge.log": LOG.replace("EvalWinner.FINE_TUNED", "EvalWinner.DRAW"),
    "log_footer_disagrees.judge.log": LOG.replace("Fine-tuned Model Wins: 1", "Fine-tuned Model Wins: 2"),
    "log_two_footers.judge.log": LOG + LOG.split("\n\nFinal Results:", 1)[0].split("\n", 1)[1] + "\n" +
        "\nFinal Results:\nBase Model Wins: 4\nFine-tuned Model Wins: 2\nTotal Comparisons: 6\nFine-tuned Win Rate: 33.3%\n",
    "log_concatenated.judge.log": LOG + LOG,
    "log_missing_better_answer.judge.log": LOG.replace("Better Answer: EvalWinner.BASE\n", "", 1),
    "log_saving_index_wrong.judge.log": LOG.replace("Saving base model win 2", "Saving base model win 1"),
    "log_saving_after_finetuned.judge.log": LOG.replace("Winner: EvalWinner.BASE\nSaving base model win 2",
                                                        "Winner: EvalWinner.FINE_TUNED\nSaving base model win 2"),
    "log_sections_wrong_order.judge.log": LOG.replace("TRUE ANSWER:", "BASE MODEL ANSWER:", 1),
    "log_question_missing.judge.log": LOG.replace("Question: Q?\n", "", 1),
    "log_garbage_line.judge.log": LOG.replace("Winner: EvalWinner.FINE_TUNED", "Winner: EvalWinner.FINE_TUNED\nhello there"),
    "log_footer_cut_off.judge.log": LOG[: LOG.index("Total Comparisons")],
    "log_footer_not_a_number.judge.log": LOG.replace("Base Model Wins: 2", "Base Model Wins: two"),
    "log_rate_disagrees.judge.log": LOG.replace("Fine-tuned Win Rate: 33.3%", "Fine-tuned Win Rate: 66.7%"),
    "log_better_answer_contradicts.judge.log": LOG.replace("Better Answer: EvalWinner.BASE",
                                                           "Better Answer: EvalWinner.FINE_TUNED", 1),
    "log_latin1.judge.log": LOG.replace("Paper", "Pap\xe9r").encode("latin-1"),
    "log_text_after_footer.judge.log": LOG + "thanks for reading\n",
    "log_crlf_bom.judge.log": "\ufeff" + LOG.replace("\n", "\r\n"),
    "log_interrupted_no_footer.judge.log": LOG.split("\nFinal Results:", 1)[0],
    "log_loaded_too_many.judge.log": LOG.replace("Loaded 3 finetune", f"Loaded {2**31} finetune"),
    "log_footer_huge_count.judge.log": LOG.replace("Base Model Wins: 2", "Base Model Wins: " + "9" * 5000),
    "log_nul_in_answer.judge.log": LOG.replace("base answer", "base\x00answer", 1),
    # verdict JSONL (ingested into the bundled example's run)
    "jsonl_invalid_json.jsonl": JL + '\n{"item": "4", "winner": "base",}\n',
    "jsonl_missing_winner.jsonl": JL + '\n{"item": "4"}\n',
    "jsonl_missing_item.jsonl": '{"winner": "tie"}\n',
    "jsonl_unknown_item.jsonl": JL + '\n{"item": "9999", "winner": "tie"}\n',
    "jsonl_unknown_winner.jsonl": '{"item": "1", "winner": "both"}\n',
    "jsonl_not_an_object.jsonl": '["1", "base"]\n',
    "jsonl_bad_confidence.jsonl": '{"item": "1", "winner": "base", "confidence": "high"}\n',
    "jsonl_duplicate_item.jsonl": JL + "\n" + JL + "\n",
    "jsonl_blank_lines_only.jsonl": "{}\n".replace("{}", "") + "\n \n",
    "jsonl_utf16.jsonl": (JL + "\n").encode("utf-16"),
    "jsonl_unterminated_string.jsonl": '{"item": "1", "winner": "base}\n',
    # JSON that parses but cannot be used: a lone surrogate escape (a str that cannot be encoded), an
    # integer past Python's 4300 digits, nesting past the recursion limit, a key twice (the last wins)
    "jsonl_lone_surrogate.jsonl": JL + '\n{"item": "4", "winner": "tie", "rationale": "half \\ud83d of an emoji"}\n',
    "jsonl_lone_low_surrogate_judge.jsonl": '{"item": "4", "winner": "tie", "judge": "j\\uDC00"}\n',
    # only looks odd: a whole surrogate pair is one character
    "jsonl_surrogate_pair.jsonl": '{"item": "4", "winner": "tie", "rationale": "an emoji \\ud83d\\ude00", '
                                  '"judge": "pair"}\n',
    "jsonl_huge_integer.jsonl": JL + '\n{"item": "4", "winner": "tie", "confidence": ' + "9" * 5000 + "}\n",
    "jsonl_deep_nesting.jsonl": JL + '\n{"item": "4", "winner": "tie", "x": ' + "[" * 5000 + "]" * 5000 + "}\n",
    # on the first line, where the format is detected
    "jsonl_deep_nesting_first_line.jsonl": '{"item": "4", "winner": "tie", "x": ' + "[" * 5000 + "]" * 5000 + "}\n",
    "jsonl_duplicate_key.jsonl": JL + '\n{"item": "4", "winner": "base", "winner": "finetuned"}\n',
    # AlpacaEval annotations.json
    "alpaca_malformed.json": '[\n' + AE + ',\n {"instruction": "q2", "output_1": "a",\n}\n]\n',
    # only looks odd: AlpacaEval leaves out a preference outside [1, 2]; reportgen counts it invalid
    "alpaca_preference_out_of_range.json": '[\n' + AE + ',\n' + AE.replace('"q"', '"q2"').replace("1.7", "2.5") + '\n]\n',
    "alpaca_preference_text.json": '[\n' + AE.replace("1.7", '"better"') + '\n]\n',
    "alpaca_two_models.json": '[\n' + AE + ',\n' + AE.replace('"q"', '"q2"').replace('"m2"', '"m3"') + '\n]\n',
    "alpaca_missing_preference.json": '[\n' + AE.replace(', "preference": 1.7', '') + '\n]\n',
    "alpaca_repeated_instruction.json": '[\n' + AE + ',\n' + AE + '\n]\n',
    "alpaca_lone_surrogate.json": '[\n' + AE.replace('"b"', '"b\\ud800"') + '\n]\n',
    "alpaca_huge_integer.json": '[\n' + AE + ',\n' + AE.replace('"q"', '"q2"').replace(
        '"dataset": "d"', '"dataset": "d", "extra": ' + "1" * 5000) + '\n]\n',
    "alpaca_deep_nesting.json": '[\n' + AE + ',\n' + "[" * 5000 + "]" * 5000 + '\n]\n',
    "alpaca_duplicate_key.json": '[\n' + AE.replace('"preference": 1.7', '"preference": 1.7,\n "preference": 1.2')
                                 + '\n]\n',
    # only looks odd: an integer beyond any float is a number outside [1, 2], as 2.5 (no verdict)
    "alpaca_preference_huge_integer.json": '[\n' + AE.replace("1.7", "1" + "0" * 400) + '\n]\n',
    # Arena-Hard-Auto judgments
    "arena_unknown_score.jsonl": AH + "\n" + AH.replace('"q1"', '"q2"').replace('"B>A"', '"B>>>A"') + "\n",
    "arena_one_game.jsonl": AH.replace(', {"score": "B>A"}', "") + "\n",
    "arena_three_games.jsonl": AH.replace(']', ', {"score": "A=B"}]') + "\n",
    "arena_two_models.jsonl": AH + "\n" + AH.replace('"q1"', '"q2"').replace('"mx"', '"my"') + "\n",
    "arena_repeated_question.jsonl": AH + "\n" + AH + "\n",
    # FastChat MT-bench pairwise
    "mtbench_unknown_winner.jsonl": MTB.replace('"g2_winner": "tie"', '"g2_winner": "model_3"') + "\n",
    "mtbench_bad_turn.jsonl": MTB.replace('"turn": 1', '"turn": "first"') + "\n",
    "mtbench_missing_model.jsonl": MTB.replace('"model_2": "b", ', '') + "\n",
    "mtbench_lone_surrogate.jsonl": MTB.replace('"turn": 1', '"turn": 1, "g1_judgment": "\\ud800"') + "\n",
    # a benchmark's question.jsonl and answer file (alone: they are read before the missing judgments are noticed)
    "questions_no_text.jsonl": '{"question_id": 1, "turns": ["Hi?"], "category": "c"}\n'
                               '{"question_id": 2, "category": "c"}\n',
    "answers_lone_surrogate.jsonl": '{"question_id": 1, "model_id": "a", "choices": [{"turns": ["x\\udbff"]}]}\n',
}


def main() -> None:
    for name, content in FILES.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
    print(f"wrote {len(FILES)} files to {HERE}")


if __name__ == "__main__":
    main()
