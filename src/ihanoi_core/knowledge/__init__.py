"""The Q&A switchboard's knowledge, independent of storage: Vietnamese text
folding and analysis (``text``), the answer an answerer gives (``answers``)
and the optional rephrasing generator (``generator``). The index itself is a
read model (``ihanoi_projections.knowledge_index``)."""
