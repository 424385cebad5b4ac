"""Search-R1's retrieval client, as its LLMGenerationManager calls the retriever
(search_r1/llm_agent/generation.py: batch_search → _batch_search → _passages2string): every active
query goes out in one POST, the reply's 'result' is read without checks, and each hit list becomes
"Doc i(Title: t) text" lines. Used by search_r1_client_test.ts against our /retrieve server.

Run: python3 search_r1_client.py URL TOPK QUERIES_JSON_FILE → prints a JSON list of passage strings.
"""
import json
import sys

import requests


class Config:
    def __init__(self, search_url, topk):
        self.search_url = search_url
        self.topk = topk


class Generation:
    def __init__(self, config):
        self.config = config

    def batch_search(self, queries):
        results = self._batch_search(queries)["result"]
        return [self._passages2string(result) for result in results]

    def _batch_search(self, queries):
        payload = {"queries": queries, "topk": self.config.topk, "return_scores": True}
        return requests.post(self.config.search_url, json=payload).json()

    def _passages2string(self, retrieval_result):
        format_reference = ""
        for idx, doc_item in enumerate(retrieval_result):
            content = doc_item["document"]["contents"]
            title = content.split("\n")[0]
            text = "\n".join(content.split("\n")[1:])
            format_reference += f"Doc {idx+1}(Title: {title}) {text}\n"
        return format_reference


if __name__ == "__main__":
    url, topk, file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(file, encoding="utf-8") as f:
        queries = json.load(f)
    print(json.dumps(Generation(Config(url, topk)).batch_search(queries)))
