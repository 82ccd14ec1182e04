"""A batch's publication (entries, assessment queues) and the public pages around it: notices, updates, feeds."""
